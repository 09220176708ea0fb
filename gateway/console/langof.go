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

// actionLabels are the words for the kinds of action a page records
// (Action.What), by kind and language code, for the overview's list:
// registered by the page's own file (registerActionLabel).
var actionLabels = map[string]map[string]string{}

// registerActionLabel names the action kind in each language.
func registerActionLabel(kind string, byLang map[string]string) { actionLabels[kind] = byLang }

// actionLabel is kind in lang, in English when lang has none, or kind
// itself when nobody named it.
func actionLabel(kind, lang string) string {
	if l := actionLabels[kind][lang]; l != "" {
		return l
	}
	if l := actionLabels[kind]["en"]; l != "" {
		return l
	}
	return kind
}

// catalogueWords returns the words of cat in the language code, or English.
func catalogueWords[T any](cat map[string]*T, code string) *T {
	if w, ok := cat[code]; ok {
		return w
	}
	return cat["en"]
}
