package textmodel

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/calmline/calmline/emotion/internal/prob"
)

// NumClasses is the number of categories the category head predicts. Confused has
// no training data and comes from cues in package emotion.
const NumClasses = 5

// Class indices of the category head.
const (
	ClassNeutral = iota
	ClassSatisfied
	ClassAnxious
	ClassSad
	ClassAngry
)

// ClassNames names the category head's outputs, in index order.
var ClassNames = [NumClasses]string{"neutral", "satisfied", "anxious", "sad", "angry"}

// Model is the trained text model: two linear heads over one hashed feature space.
type Model struct {
	Bits    uint8               // feature table has 1<<Bits rows
	Cat     []float32           // category weights, row-major [feature][class]
	CatBias [NumClasses]float32 // category biases
	Val     []float32           // valence weights (logit of "positive")
	ValBias float32             // valence bias
	CatTemp float32             // calibration temperature of the category head (logits are divided by it)
	ValTemp float32             // calibration temperature of the valence head
	About   string              // provenance: data, seed, date of training
	mask    uint32
}

// ErrBadModel reports a weights file that is not a text model this code can read.
var ErrBadModel = errors.New("textmodel: not a valid model file")

const magic = "CLTXT1\n"

// New returns an untrained model with a table of 1<<bits rows.
func New(bits uint8) *Model {
	n := 1 << bits
	return &Model{Bits: bits, Cat: make([]float32, n*NumClasses), Val: make([]float32, n),
		CatTemp: 1, ValTemp: 1, mask: uint32(n - 1)}
}

// Predict writes calibrated category probabilities into cat and returns the
// calibrated probability that the text is positive. feats comes from Features.
func (m *Model) Predict(feats []uint32, cat *[NumClasses]float64) (pPositive float64) {
	var z [NumClasses]float64
	zv := m.logits(feats, &z)
	t := float64(m.CatTemp)
	for k := range z {
		z[k] /= t
	}
	prob.Softmax(z[:], cat[:])
	return prob.Sigmoid(zv / float64(m.ValTemp))
}

// logits computes the raw (uncalibrated) logits of both heads.
func (m *Model) logits(feats []uint32, z *[NumClasses]float64) float64 {
	s := Scale(len(feats))
	var acc [NumClasses]float32
	var v float32
	for _, f := range feats {
		i := f & m.mask
		row := m.Cat[int(i)*NumClasses : int(i)*NumClasses+NumClasses]
		for k := range acc {
			acc[k] += row[k]
		}
		v += m.Val[i]
	}
	for k := range z {
		z[k] = float64(acc[k])*s + float64(m.CatBias[k])
	}
	return float64(v)*s + float64(m.ValBias)
}

// MarshalBinary writes the model as gzip-compressed int8-quantised weights: about
// a byte per weight before compression, so the shipped model stays small.
func (m *Model) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w := bufio.NewWriter(zw)
	w.WriteString(magic)
	about := []byte(m.About)
	hdr := []any{m.Bits, uint32(len(about))}
	for _, h := range hdr {
		binary.Write(w, binary.LittleEndian, h)
	}
	w.Write(about)
	binary.Write(w, binary.LittleEndian, m.CatBias)
	binary.Write(w, binary.LittleEndian, m.ValBias)
	binary.Write(w, binary.LittleEndian, m.CatTemp)
	binary.Write(w, binary.LittleEndian, m.ValTemp)
	for _, tab := range [][]float32{m.Cat, m.Val} {
		sc := quantScale(tab)
		binary.Write(w, binary.LittleEndian, sc)
		q := make([]byte, len(tab))
		for i, x := range tab {
			q[i] = byte(int8(math.Round(float64(x / sc))))
		}
		w.Write(q)
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("textmodel: write weights: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("textmodel: compress weights: %w", err)
	}
	return buf.Bytes(), nil
}

func quantScale(tab []float32) float32 {
	var mx float32
	for _, x := range tab {
		if x < 0 {
			x = -x
		}
		if x > mx {
			mx = x
		}
	}
	if mx == 0 {
		return 1
	}
	return mx / 127
}

// Load reads a model written by MarshalBinary. Hostile or truncated input gives an
// error wrapping ErrBadModel, never a panic.
func Load(data []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	r := bufio.NewReader(io.LimitReader(zr, 64<<20))
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != magic {
		return nil, fmt.Errorf("%w: missing header", ErrBadModel)
	}
	var bits uint8
	var aboutLen uint32
	if err := binary.Read(r, binary.LittleEndian, &bits); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	if bits < 4 || bits > 24 {
		return nil, fmt.Errorf("%w: table size 2^%d out of range", ErrBadModel, bits)
	}
	if err := binary.Read(r, binary.LittleEndian, &aboutLen); err != nil || aboutLen > 1<<16 {
		return nil, fmt.Errorf("%w: bad description length", ErrBadModel)
	}
	about := make([]byte, aboutLen)
	if _, err := io.ReadFull(r, about); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	m := New(bits)
	m.About = string(about)
	for _, p := range []any{&m.CatBias, &m.ValBias, &m.CatTemp, &m.ValTemp} {
		if err := binary.Read(r, binary.LittleEndian, p); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
		}
	}
	if !(m.CatTemp > 0.01 && m.CatTemp < 100 && m.ValTemp > 0.01 && m.ValTemp < 100) {
		return nil, fmt.Errorf("%w: calibration temperature out of range", ErrBadModel)
	}
	for _, x := range append(m.CatBias[:], m.ValBias) {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || math.Abs(float64(x)) > 1e3 {
			return nil, fmt.Errorf("%w: bias out of range", ErrBadModel)
		}
	}
	for _, tab := range [][]float32{m.Cat, m.Val} {
		var sc float32
		if err := binary.Read(r, binary.LittleEndian, &sc); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
		}
		if !(sc > 0 && sc < 1e3) {
			return nil, fmt.Errorf("%w: weight scale out of range", ErrBadModel)
		}
		q := make([]byte, len(tab))
		if _, err := io.ReadFull(r, q); err != nil {
			return nil, fmt.Errorf("%w: weights truncated: %v", ErrBadModel, err)
		}
		for i, b := range q {
			tab[i] = float32(int8(b)) * sc
		}
	}
	// reading to the end makes gzip verify its checksum, so truncation is caught
	if n, err := io.Copy(io.Discard, r); n != 0 || err != nil {
		return nil, fmt.Errorf("%w: trailing data or bad checksum (%d bytes, %v)", ErrBadModel, n, err)
	}
	return m, nil
}
