package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestPages(t *testing.T) {
	h := Handler()
	tests := []struct {
		path, ctype string
		code        int
		contains    []string
	}{
		{"/", "text/html", 200, []string{`id="call"`, `id="hangup"`, `id="turns"`, `id="lang-toggle"`, "softphone.js"}},
		{"/agent", "text/html", 200, []string{`id="login-btn"`, `id="accept"`, `id="report"`, "agent.js"}},
		{"/supervisor", "text/html", 200, []string{`id="calls"`, `id="sup-name"`, "supervisor.js"}},
		{"/static/app.css", "text/css", 200, []string{".meter"}},
		{"/static/i18n.js", "text/javascript", 200, []string{"联系客服", "Call support"}},
		{"/static/rtc.js", "text/javascript", 200, []string{"/v1/webrtc/config"}},
		{"/static/", "", 404, nil},
		{"/static/nope.js", "", 404, nil},
		{"/nope", "", 404, nil},
		{"/agent/", "", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := get(t, h, tt.path)
			if res.StatusCode != tt.code {
				t.Fatalf("GET %s: %d, want %d", tt.path, res.StatusCode, tt.code)
			}
			if tt.ctype != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), tt.ctype) {
				t.Errorf("GET %s: Content-Type %q, want %s", tt.path, res.Header.Get("Content-Type"), tt.ctype)
			}
			for _, c := range tt.contains {
				if !strings.Contains(body, c) {
					t.Errorf("GET %s: body lacks %q", tt.path, c)
				}
			}
			if tt.ctype == "text/html" && !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
				t.Errorf("GET %s: no CSP", tt.path)
			}
		})
	}
}

// Every asset a page references is served, and both languages have every key.
func TestAssetsAndTranslations(t *testing.T) {
	h := Handler()
	ref := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)
	for _, page := range []string{"/", "/agent", "/supervisor"} {
		_, body := get(t, h, page)
		for _, m := range ref.FindAllStringSubmatch(body, -1) {
			if res, _ := get(t, h, m[1]); res.StatusCode != 200 {
				t.Errorf("%s references %s: %d", page, m[1], res.StatusCode)
			}
		}
	}
	_, js := get(t, h, "/static/i18n.js")
	en := keysOf(t, js, "en: {", "zh: {")
	zh := keysOf(t, js, "zh: {", "  };")
	if len(en) < 40 {
		t.Fatalf("only %d English keys parsed", len(en))
	}
	for k := range en {
		if !zh[k] {
			t.Errorf("key %q has no Chinese text", k)
		}
	}
	for k := range zh {
		if !en[k] {
			t.Errorf("key %q has no English text", k)
		}
	}
	// Every data-i18n key used in a page exists.
	use := regexp.MustCompile(`data-i18n(?:-placeholder)?="([^"]+)"`)
	for _, page := range []string{"/", "/agent", "/supervisor"} {
		_, body := get(t, h, page)
		for _, m := range use.FindAllStringSubmatch(body, -1) {
			if !en[m[1]] {
				t.Errorf("%s uses unknown key %q", page, m[1])
			}
		}
	}
}

func keysOf(t *testing.T, js, from, to string) map[string]bool {
	t.Helper()
	i := strings.Index(js, from)
	j := strings.Index(js[i+len(from):], to)
	if i < 0 || j < 0 {
		t.Fatalf("cannot find %q … %q in i18n.js", from, to)
	}
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile(`"([a-z_.]+)":`).FindAllStringSubmatch(js[i:i+len(from)+j], -1) {
		keys[m[1]] = true
	}
	return keys
}
