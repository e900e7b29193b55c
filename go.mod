module github.com/calmline/calmline

go 1.26

require (
	github.com/mjibson/go-dsp v0.0.0-20180508042940-11479a337f12
	github.com/sashabaranov/go-openai v1.43.0
	gonum.org/v1/gonum v0.17.0
)
