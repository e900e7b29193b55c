package prob

import (
	"math"
	"testing"
)

func TestSoftmax(t *testing.T) {
	z := []float64{1000, 1000, 998} // would overflow without the shift
	p := make([]float64, 3)
	Softmax(z, p)
	if math.Abs(p[0]-p[1]) > 1e-12 || math.Abs(p[0]+p[1]+p[2]-1) > 1e-12 || p[2] >= p[0] {
		t.Errorf("Softmax = %v", p)
	}
	Softmax(z, z) // in place
	for i := range z {
		if z[i] != p[i] {
			t.Errorf("in place: %v, want %v", z, p)
		}
	}
	if s := Sigmoid(0); s != 0.5 {
		t.Errorf("Sigmoid(0) = %v", s)
	}
}
