package hanzi

import (
	"sync"
	"testing"
	"time"
)

func TestSimplify(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"這個問題已經第三次出現了，你們到底有沒有解決方案？", "这个问题已经第三次出现了，你们到底有没有解决方案？"},
		{"我要投訴你們，服務太差了", "我要投诉你们，服务太差了"},
		{"謝謝，問題解決了", "谢谢，问题解决了"},
		{"頭髮", "头发"},
		{"乾淨", "干净"},
		// Simplified text and words that look Traditional but are Simplified stay.
		{"这个问题已经第三次出现了", "这个问题已经第三次出现了"},
		{"著名的作家", "著名的作家"},
		{"皇后", "皇后"},
		{"I want a refund!!!", "I want a refund!!!"},
		{"", ""},
		{"订单 A123 還沒到", "订单 A123 还没到"},
		{"\xff\xfe投訴", "\ufffd\ufffd投诉"},
		{"\xff\xfe投诉", "\xff\xfe投诉"}, // nothing to convert: not even the bytes change
	} {
		if got := Simplify(c.in); got != c.want {
			t.Errorf("Simplify(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestSimplifyConcurrent runs the shared tables from many goroutines (go test -race).
func TestSimplifyConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if got := Simplify("我要投訴你們"); got != "我要投诉你们" {
					t.Errorf("got %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestWarmCost(t *testing.T) {
	start := time.Now()
	Warm()
	t.Logf("tables built in %v", time.Since(start))
}

func FuzzSimplify(f *testing.F) {
	f.Add("我要投訴你們")
	f.Add("\xe6\x8a")
	f.Fuzz(func(t *testing.T, s string) {
		out := Simplify(s)
		if firstHan(s) < 0 && out != s {
			t.Fatalf("text without Han changed: %q -> %q", s, out)
		}
	})
}

func BenchmarkSimplify(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"traditional", "這個問題已經第三次出現了，你們到底有沒有解決方案？"},
		{"simplified", "这个问题已经第三次出现了，你们到底有没有解决方案？"},
		{"english", "I've called three times and my order still hasn't arrived"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				Simplify(c.s)
			}
		})
	}
}
