module github.com/calmline/calmline

go 1.26
