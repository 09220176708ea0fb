package cause

import "fmt"

// limitWords are the sentence for a chain that waits for a sending
// limit's window, per language: who (the provider, or the relay's host)
// and when sending resumes.
var limitWords = map[string][2]string{ // daily, minute
	"en": {"%s's daily limit reached; sending resumes at %s", "%s's per-minute limit reached; sending resumes at %s"},
	"sv": {"Dagsgränsen för %s är nådd; sändningen återupptas kl. %s", "Minutgränsen för %s är nådd; sändningen återupptas kl. %s"},
	"nb": {"Dagsgrensen for %s er nådd; sendingen fortsetter kl. %s", "Minuttgrensen for %s er nådd; sendingen fortsetter kl. %s"},
	"pl": {"Osiągnięto dzienny limit %s; wysyłanie zostanie wznowione o %s", "Osiągnięto minutowy limit %s; wysyłanie zostanie wznowione o %s"},
	"cs": {"Denní limit %s je vyčerpán; odesílání bude obnoveno v %s", "Minutový limit %s je vyčerpán; odesílání bude obnoveno v %s"},
	"ru": {"Достигнут суточный лимит %s; отправка возобновится в %s", "Достигнут поминутный лимит %s; отправка возобновится в %s"},
}

// LimitText is the sentence that tells why a chain waits for a sending
// limit (its own [smtp] daily_limit or minute_limit, or the provider's
// quota reply), in lang (English when unknown): who names the provider
// or the relay ("Microsoft 365", "smtp.example.org"), daily says which
// window, and at when sending resumes, already written for the reader
// ("06:12", or a date and time). For example
// "Microsoft 365's daily limit reached; sending resumes at 06:12".
func LimitText(lang, who string, daily bool, at string) string {
	w, ok := limitWords[lang]
	if !ok {
		w = limitWords["en"]
	}
	f := w[1]
	if daily {
		f = w[0]
	}
	return fmt.Sprintf(f, who, at)
}
