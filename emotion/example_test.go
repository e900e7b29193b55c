package emotion_test

import (
	"fmt"

	"github.com/calmline/calmline/emotion"
)

// A reading names its category and level and explains itself with cues.
func ExampleModel_Text() {
	m, err := emotion.Default()
	if err != nil {
		panic(err)
	}
	r := m.Text("这个问题已经第三次出现了，你们到底有没有解决方案？")
	fmt.Println(r.Category, r.Level >= emotion.Moderate, r.Lang)
	for _, c := range r.Cues {
		if c.Kind == emotion.CueRepeat {
			fmt.Println(c.Kind, c.Text)
		}
	}
	// Output:
	// angry true zh
	// repeat 第三次
}

// A call remembers the caller: the trajectory shows where the emotion went.
func ExampleCall_Trajectory() {
	m, err := emotion.Default()
	if err != nil {
		panic(err)
	}
	c := m.NewCall()
	c.Turn("你们又把我的订单搞错了，我要投诉！", nil)
	c.Turn("我不明白你说的是什么意思", nil)
	t := c.Trajectory()
	fmt.Println(t.Turns, t.From, "->", t.To, t.Switched)
	// Output: 2 angry -> confused true
}
