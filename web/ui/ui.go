// Package ui serves calmline's browser pages: the softphone at "/", the agent
// console at "/agent" and the supervisor console at "/supervisor". They are plain
// HTML, JavaScript and CSS embedded in the binary, so `make run` needs no build step
// and no file next to the binary.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var files embed.FS

// pages maps a route to its HTML file.
var pages = map[string]string{
	"/{$}":        "static/index.html",
	"/agent":      "static/agent.html",
	"/supervisor": "static/supervisor.html",
}

// Handler serves the pages and their assets (under /static/). Mount it at "/" on
// the server's mux; the API routes, being more specific, take precedence.
func Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(files, "static") // cannot fail: the directory is embedded
	assets := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/", noDirs(assets))
	for route, file := range pages {
		page, err := files.ReadFile(file)
		if err != nil {
			continue // cannot happen: every file is embedded
		}
		mux.HandleFunc("GET "+route, func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "text/html; charset=utf-8")
			// Scripts and styles come from our own files only; media and data go to this origin.
			h.Set("Content-Security-Policy", "default-src 'self'; media-src 'self' blob: mediastream:; connect-src 'self'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Cache-Control", "no-cache")
			_, _ = w.Write(page)
		})
	}
	return mux
}

// noDirs hides directory listings.
func noDirs(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/static/" || r.URL.Path[len(r.URL.Path)-1] == '/' {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}
