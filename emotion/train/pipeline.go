package main

import (
	"io"
)

func pipelineEval(_ []byte, _ *datasets, _ io.Writer) error { return nil }
