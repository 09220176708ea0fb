package console

// langOf is the language code of a catalogue's words, for the pages
// whose own words live in a catalogue of their own file (a map by
// language code, as catalogue is), so that adding a page does not touch
// words.go: English for words of no catalogue.
func langOf(w *words) string {
	for code, x := range catalogue {
		if x == w {
			return code
		}
	}
	return "en"
}
