package redact

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain en", "I want my money back", "I want my money back"},
		{"plain zh", "我要退款，这是第三次了！", "我要退款，这是第三次了！"},
		{"zh mobile", "我的电话是13812345678，快点回我", "我的电话是[phone]，快点回我"},
		{"zh mobile spaced", "手机 138 1234 5678", "手机 [phone]"},
		{"zh mobile +86", "打+86 139-1234-5678找我", "打[phone]找我"},
		{"zh landline", "座机010-12345678", "座机[phone]"},
		{"en nanp", "call me at (555) 123-4567 please", "call me at [phone] please"},
		{"en dotted", "my number is 555.123.4567.", "my number is [phone]."},
		{"en intl", "reach me on +44 20 7946 0958", "reach me on [phone]"},
		{"email en", "write to jane.doe+spam@example.co.uk now", "write to [email] now"},
		{"email zh", "邮箱是zhang_san@qq.com谢谢", "邮箱是[email]谢谢"},
		{"visa", "card 4111 1111 1111 1111 was charged twice", "card [card] was charged twice"},
		{"visa dashed zh", "卡号4111-1111-1111-1111扣了两次", "卡号[card]扣了两次"},
		{"unionpay 19", "银行卡6222021234567890128", "银行卡[card]"},
		{"not luhn stays", "code 4111111111111112 please", "code 4111111111111112 please"},
		{"zh id", "身份证号11010519491231002X", "身份证号[id]"},
		{"zh id lower x", "id 11010519491231002x ok", "id [id] ok"},
		{"zh id digits", "身份证 110101199003071233", "身份证 [id]"},
		{"zh id bad check stays", "编码 110101199003071234 是什么", "编码 110101199003071234 是什么"},
		{"order en stays", "order number 13812345678 never arrived", "order number 13812345678 never arrived"},
		{"order hash stays", "where is #4111111111111111?", "where is #4111111111111111?"},
		{"order zh stays", "订单号：20231115001234还没到", "订单号：20231115001234还没到"},
		{"order zh in Traditional characters stays", "訂單13912345678怎麼還沒發貨", "訂單13912345678怎麼還沒發貨"},
		{"order number zh in Traditional characters stays", "運單號碼：13912345678", "運單號碼：13912345678"},
		{"order zh mobile-like stays", "订单13912345678怎么还没发货", "订单13912345678怎么还没发货"},
		{"date stays", "since 2024-03-15 I have called", "since 2024-03-15 I have called"},
		{"amount stays", "charged 1 000 000 yuan", "charged 1 000 000 yuan"},
		{"small numbers stay", "3 times in 2 days, 45.50 each", "3 times in 2 days, 45.50 each"},
		{"identifier stays", "model A13812345678 broke", "model A13812345678 broke"},
		{"two in one", "phone 13812345678 and mail a@b.cn", "phone [phone] and mail [email]"},
		{"han numerals mobile", "我的电话是幺三八一二三四五六七八，记一下", "我的电话是[phone]，记一下"},
		{"han numerals spaced", "号码一三九 一二三四 五六七八", "号码[phone]"},
		{"full-width mobile", "手机１３８１２３４５６７８", "手机[phone]"},
		{"han order stays", "订单号一三九一二三四五六七八怎么没到", "订单号一三九一二三四五六七八怎么没到"},
		{"han short stays", "打了三四次了，等了五六天", "打了三四次了，等了五六天"},
		{"order word far back", "order is late. also call 13812345678", "order is late. also call [phone]"},
		{"phone then order", "13812345678, order 13912345678", "[phone], order 13912345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestChecks(t *testing.T) {
	luhnTests := []struct {
		in   string
		want bool
	}{
		{"4111111111111111", true},
		{"5500005555555559", true},
		{"4111111111111112", false},
		{"79927398713", true},
	}
	for _, tt := range luhnTests {
		if got := luhn([]byte(tt.in)); got != tt.want {
			t.Errorf("luhn(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
	idTests := []struct {
		in   string
		want bool
	}{
		{"11010519491231002X", true},
		{"110101199003071233", true},
		{"110101199003071234", false},
		{"11010519491231002", false},
		{"1101051949123100AX", false},
	}
	for _, tt := range idTests {
		if got := chineseID([]byte(tt.in)); got != tt.want {
			t.Errorf("chineseID(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"13812345678", "a@b.cn", "4111 1111 1111 1111", "11010519491231002X", "订单号：123", "(555) 123-4567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		// Redaction is idempotent: the placeholders contain nothing to redact.
		if again := Text(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}

// BenchmarkText measures redaction of a typical turn and of long hostile inputs
// (many numbers, one huge digit run) that must stay linear.
func BenchmarkText(b *testing.B) {
	inputs := []struct{ name, s string }{
		{"turn-zh", "我已经打了第三次电话了，订单号20231115001234还是没到，我的手机13812345678，邮箱zhang@qq.com"},
		{"turn-en", "this is the third time I call, card 4111 1111 1111 1111 was charged twice, call me at (555) 123-4567"},
		{"many-numbers-64k", strings.Repeat("订单 13812345678 a ", 2500)},
		{"digit-run-64k", strings.Repeat("1 2-3.", 11000)},
		{"han-run-64k", strings.Repeat("一二 三", 8000)},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.s)))
			for i := 0; i < b.N; i++ {
				Text(in.s)
			}
		})
	}
}
