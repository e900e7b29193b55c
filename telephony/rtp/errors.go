package rtp

import "errors"

// ErrClosed is returned by an Endpoint once Close has been called or the
// remote leg has gone, so readers stop instead of waiting for audio that
// will never come.
var ErrClosed = errors.New("rtp: endpoint closed")

// ErrNoRemote is returned by Play before SetRemote: calmline only sends to
// the address Asterisk told it about, never to whoever sent the last packet.
var ErrNoRemote = errors.New("rtp: remote address not set")

// ErrFrameSize is returned when a caller passes a frame that is not
// telephony.FrameSamples long; every buffer on the hot path has that size.
var ErrFrameSize = errors.New("rtp: frame must be 320 samples (20 ms at 16 kHz)")

// ErrUnknownCodec is returned by ParseCodec for names calmline cannot carry.
var ErrUnknownCodec = errors.New("rtp: unknown codec")

// ErrNoPort is returned when every port of the configured range is taken.
var ErrNoPort = errors.New("rtp: no free UDP port in range")
