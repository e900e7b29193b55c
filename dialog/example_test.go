package dialog_test

import (
	"fmt"

	"github.com/calmline/calmline/dialog"
	"github.com/calmline/calmline/emotion"
)

// A call on the default flow: the greeting, a calm question, then a severe complaint
// that goes straight to the expert queue.
func Example() {
	eng, err := dialog.Load("../config/flows/support.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	conv := eng.NewConversation(dialog.Caller{CallID: "example-1", CallerID: "+8613800000000", Lang: "en"})
	a := conv.Start()
	fmt.Println(a.Type, a.Node)
	a = conv.Turn(dialog.Input{Text: "I want a refund"})
	fmt.Println(a.Type, a.Node, "|", a.Reply)
	a = conv.Turn(dialog.Input{Text: "This is the third time! I'm reporting you!",
		Reading: emotion.Reading{Category: emotion.Angry, Level: emotion.Severe, Confidence: 0.9}})
	fmt.Println(a.Type, a.Queue, a.Priority, a.Endpoints, a.Tier, a.Style)
	// Output:
	// say main
	// say refund | I can start a refund to your original payment method. Shall I go ahead?
	// escalate expert 10 [PJSIP/expert1] severe urgent
}
