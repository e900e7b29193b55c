// Package prob holds the two squashing functions every calmline emotion model
// ends in, so the text model, the voice model, fusion and the training tools
// turn scores into probabilities the same way.
package prob

import "math"

// Softmax writes the probabilities of logits z into p (p may be z itself),
// shifting by the largest logit so large scores cannot overflow.
func Softmax(z, p []float64) {
	mx := math.Inf(-1)
	for _, x := range z {
		mx = math.Max(mx, x)
	}
	var sum float64
	for i, x := range z {
		p[i] = math.Exp(x - mx)
		sum += p[i]
	}
	for i := range p[:len(z)] {
		p[i] /= sum
	}
}

// Sigmoid is the logistic function: the probability of a binary logit.
func Sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
