package sphinx

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <pocketsphinx.h>
#include <err.h>
#include <feat.h>
#include <cmn.h>

// cl_new wraps the variadic cmd_ln_init, which cgo cannot call, and ps_init.
static ps_decoder_t *cl_new(const char *hmm, const char *dict, const char *lm) {
	cmd_ln_t *c = cmd_ln_init(NULL, ps_args(), TRUE,
		"-hmm", hmm, "-dict", dict, "-lm", lm,
		"-logfn", "/dev/null", NULL);
	if (c == NULL) return NULL;
	ps_decoder_t *ps = ps_init(c);
	cmd_ln_free_r(c);
	return ps;
}

static void cl_quiet(void) { err_set_logfp(NULL); }

// cl_cmn_get copies the live cepstral mean (n values at most); 0 if none.
static int cl_cmn_get(ps_decoder_t *ps, float *out, int n) {
	feat_t *f = ps_get_feat(ps);
	if (f == NULL || f->cmn_struct == NULL) return 0;
	cmn_t *c = f->cmn_struct;
	int k = c->veclen < n ? c->veclen : n;
	for (int i = 0; i < k; i++) out[i] = c->cmn_mean[i];
	return k;
}

// cl_cmn_set installs a live cepstral mean (n must be the vector length).
static int cl_cmn_set(ps_decoder_t *ps, const float *in, int n) {
	feat_t *f = ps_get_feat(ps);
	if (f == NULL || f->cmn_struct == NULL || f->cmn_struct->veclen != n) return -1;
	cmn_live_set(f->cmn_struct, in);
	return 0;
}

*/
import "C"

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// chunkSamples is how much audio is fed between context checks (250 ms).
const chunkSamples = 4000

// framesPerSecond is pocketsphinx's default feature frame rate (-frate 100).
const framesPerSecond = 100

const (
	searchDictation = "_default" // the LM search ps_init creates from -lm
	searchGrammar   = "grammar"
	searchPhones    = "phones" // phone loop: the best any speech can score, for confidence
	searchSpot      = "spot"   // a phrase inside longer speech (grammar.spot)
)

var quietOnce sync.Once

// decoder is one pocketsphinx decoder. It is not safe for concurrent use; the
// Recognizer hands decoders out from a pool.
type decoder struct {
	ps          *C.ps_decoder_t
	lastGrammar string // the JSGF currently loaded as searchGrammar
	lastSpot    string // the JSGF currently loaded as searchSpot
}

// cmnMax bounds the cepstral vector length (13 for the en-us model).
const cmnMax = 64

// cmn returns the decoder's live cepstral mean (its estimate of the channel).
func (d *decoder) cmn() []float32 {
	var buf [cmnMax]C.float
	n := int(C.cl_cmn_get(d.ps, &buf[0], cmnMax))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(buf[i])
	}
	return out
}

// setCMN installs a channel estimate taken from another decoder.
func (d *decoder) setCMN(mean []float32) error {
	if len(mean) == 0 || len(mean) > cmnMax {
		return fmt.Errorf("sphinx: cepstral mean of %d values", len(mean))
	}
	var buf [cmnMax]C.float
	for i, v := range mean {
		buf[i] = C.float(v)
	}
	if C.cl_cmn_set(d.ps, &buf[0], C.int(len(mean))) < 0 {
		return fmt.Errorf("sphinx: set cepstral mean: vector length mismatch")
	}
	return nil
}

func newDecoder(hmm, dict, lm string) (*decoder, error) {
	quietOnce.Do(func() { C.cl_quiet() })
	ch, cd, cl := C.CString(hmm), C.CString(dict), C.CString(lm)
	defer C.free(unsafe.Pointer(ch))
	defer C.free(unsafe.Pointer(cd))
	defer C.free(unsafe.Pointer(cl))
	ps := C.cl_new(ch, cd, cl)
	if ps == nil {
		return nil, fmt.Errorf("sphinx: initialise decoder (hmm %s, dict %s, lm %s): pocketsphinx refused the model", hmm, dict, lm)
	}
	d := &decoder{ps: ps}
	for _, ph := range loopPhones {
		if err := d.addWord(phoneWord(ph), ph); err != nil {
			d.free()
			return nil, err
		}
	}
	cn, cg := C.CString(searchPhones), C.CString(phoneLoopJSGF())
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cg))
	if C.ps_set_jsgf_string(ps, cn, cg) < 0 {
		d.free()
		return nil, fmt.Errorf("sphinx: load the phone-loop grammar failed")
	}
	return d, nil
}

func (d *decoder) free() {
	if d.ps != nil {
		C.ps_free(d.ps)
		d.ps = nil
	}
}

// addWord adds a word to the dictionary without rebuilding the current
// search: the phone-loop words must exist for their grammar but stay out of
// free dictation.
func (d *decoder) addWord(word, phones string) error {
	cw, cp := C.CString(word), C.CString(phones)
	defer C.free(unsafe.Pointer(cw))
	defer C.free(unsafe.Pointer(cp))
	if C.ps_add_word(d.ps, cw, cp, 0) < 0 {
		return fmt.Errorf("sphinx: add word %q /%s/ to the dictionary failed", word, phones)
	}
	return nil
}

// pronunciation returns word's phones ("R IH F AH N D"), or "" when the
// dictionary lacks it. Alternates are addressed as "word(2)".
func (d *decoder) pronunciation(word string) string {
	cw := C.CString(word)
	defer C.free(unsafe.Pointer(cw))
	p := C.ps_lookup_word(d.ps, cw)
	if p == nil {
		return ""
	}
	defer C.free(unsafe.Pointer(p))
	return C.GoString(p)
}

// known reports whether word is in the pronunciation dictionary.
func (d *decoder) known(word string) bool { return d.pronunciation(word) != "" }

// useGrammar loads jsgf (if it differs from the loaded one) and activates it.
func (d *decoder) useGrammar(jsgf string) error {
	return d.useJSGF(searchGrammar, jsgf, &d.lastGrammar)
}

// useSpot loads and activates the phrase-spotting grammar.
func (d *decoder) useSpot(jsgf string) error {
	return d.useJSGF(searchSpot, jsgf, &d.lastSpot)
}

func (d *decoder) useJSGF(search, jsgf string, loaded *string) error {
	if jsgf != *loaded {
		cn, cg := C.CString(search), C.CString(jsgf)
		defer C.free(unsafe.Pointer(cn))
		defer C.free(unsafe.Pointer(cg))
		if C.ps_set_jsgf_string(d.ps, cn, cg) < 0 {
			*loaded = ""
			return fmt.Errorf("sphinx: load grammar %q: pocketsphinx rejected the JSGF", search)
		}
		*loaded = jsgf
	}
	return d.setSearch(search)
}

func (d *decoder) setSearch(name string) error {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	if C.ps_set_search(d.ps, cn) < 0 {
		return fmt.Errorf("sphinx: activate search %q failed", name)
	}
	return nil
}

// hyp is what one decode produced.
type hyp struct {
	text   string
	words  []segment
	frames int // frames in the utterance
}

type segment struct {
	word       string
	start, end time.Duration
	// ascr is the segment's acoustic score (pocketsphinx's log scale); keyword
	// spotting compares it with what a free phone loop scores on the same frames.
	ascr int32
}

// decode runs one utterance through the active search.
func (d *decoder) decode(ctx context.Context, pcm []int16) (hyp, error) {
	if C.ps_start_utt(d.ps) < 0 {
		return hyp{}, fmt.Errorf("sphinx: start utterance failed")
	}
	// Audio goes in 250 ms chunks (not full_utt), with a context check
	// between them. That also keeps pocketsphinx's live cepstral mean
	// normalisation, which adapts across utterances: measured on the espeak
	// round trip it recognised 18/18 phrases against 15/18 with per-utterance
	// (batch) normalisation, which is too noisy on one- or two-word utterances.
	for off := 0; off < len(pcm); off += chunkSamples {
		if err := ctx.Err(); err != nil {
			C.ps_end_utt(d.ps)
			return hyp{}, fmt.Errorf("sphinx: decode: %w", err)
		}
		chunk := pcm[off:min(off+chunkSamples, len(pcm))]
		if C.ps_process_raw(d.ps, (*C.int16)(unsafe.Pointer(&chunk[0])), C.size_t(len(chunk)), 0, 0) < 0 {
			C.ps_end_utt(d.ps)
			return hyp{}, fmt.Errorf("sphinx: process audio failed")
		}
	}
	if C.ps_end_utt(d.ps) < 0 {
		return hyp{}, fmt.Errorf("sphinx: end utterance failed")
	}
	var score C.int32
	ch := C.ps_get_hyp(d.ps, &score)
	if ch == nil {
		return hyp{}, nil
	}
	h := hyp{text: strings.TrimSpace(C.GoString(ch)), frames: int(C.ps_get_n_frames(d.ps))}
	lastEnd := 0
	for seg := C.ps_seg_iter(d.ps); seg != nil; seg = C.ps_seg_next(seg) {
		var sf, ef C.int
		C.ps_seg_frames(seg, &sf, &ef)
		var ascr, lscr, lback C.int32
		C.ps_seg_prob(seg, &ascr, &lscr, &lback)
		lastEnd = int(ef) + 1
		h.words = append(h.words, segment{
			word:  C.GoString(C.ps_seg_word(seg)),
			start: time.Duration(sf) * time.Second / framesPerSecond,
			end:   time.Duration(ef+1) * time.Second / framesPerSecond,
			ascr:  int32(ascr),
		})
	}
	// Segment frames count from the decoder's first utterance, not this one;
	// the last segment ends with the utterance, which fixes the offset.
	if off := time.Duration(lastEnd-h.frames) * time.Second / framesPerSecond; off > 0 {
		for i := range h.words {
			h.words[i].start -= off
			h.words[i].end -= off
		}
	}
	return h, nil
}
