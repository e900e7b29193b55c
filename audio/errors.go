package audio

import "errors"

// ErrNotWAV means the input is not a RIFF/WAVE file (or its header is damaged beyond
// reading), so the caller can tell a wrong file apart from a damaged recording.
var ErrNotWAV = errors.New("audio: not a WAV file")

// ErrUnsupported means the file is a WAV file in an encoding or layout calmline does not
// decode (ADPCM, MP3-in-WAV, 0 channels, absurd rates...).
var ErrUnsupported = errors.New("audio: unsupported WAV encoding")

// ErrTruncated means the file ended before its header or its data chunk said it would.
// ReadWAV returns the samples it did read together with this error, because a recording
// cut off by a crash is still worth analysing.
var ErrTruncated = errors.New("audio: WAV file truncated")

// ErrTooLong means the audio is longer than the reader's MaxDuration. The limit exists so
// a hostile size field cannot make calmline allocate gigabytes.
var ErrTooLong = errors.New("audio: WAV file longer than the limit")

// ErrBadRate means a sample rate given to Resample or WriteWAV is not positive.
var ErrBadRate = errors.New("audio: invalid sample rate")
