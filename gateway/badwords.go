package gateway

// badWords are the fixed words of a .BAD.txt file in one language; the
// explanations come from package cause, what is wrong with a file from
// package message. Retry has one %s: the command. Expired, the detail of
// a message given up after [spool] retry_for, has three: retry_for, the
// time of the first attempt and the last failure's cause label.
type badWords struct {
	BadHead                               string
	What, ToDo, File, When, Server, Reply string
	Detail, Refused, Retry                string
	Expired                               string
}

// badLanguages holds every language of [log] language; a test checks that
// each is complete.
var badLanguages = map[string]badWords{
	"en": {
		BadHead: "spoolgate could not send this message and will not try again on its own.",
		What:    "What happened:", ToDo: "What to do:", File: "File:", When: "When:",
		Server: "Server:", Reply: "The relay's reply:", Detail: "Detail:",
		Refused: "Refused recipients:",
		Retry:   "To send it again once the cause is fixed, run: %s (recipients who already got it are not sent it again).",
		Expired: "retry_for is %s; first attempt %s; last failure: %s",
	},
	"sv": {
		BadHead: "spoolgate kunde inte skicka det här meddelandet och försöker inte igen av sig själv.",
		What:    "Vad hände:", ToDo: "Vad ska göras:", File: "Fil:", When: "När:",
		Server: "Server:", Reply: "E-postserverns svar:", Detail: "Detaljer:",
		Refused: "Mottagare som avvisades:",
		Retry:   "Skicka det igen när orsaken är åtgärdad med kommandot: %s (mottagare som redan har fått det får det inte igen).",
		Expired: "retry_for är %s; första försöket %s; senaste felet: %s",
	},
	"nb": {
		BadHead: "spoolgate kunne ikke sende denne meldingen og prøver ikke igjen av seg selv.",
		What:    "Hva skjedde:", ToDo: "Hva må gjøres:", File: "Fil:", When: "Når:",
		Server: "Server:", Reply: "E-postserverens svar:", Detail: "Detaljer:",
		Refused: "Mottakere som ble avvist:",
		Retry:   "Send den på nytt når årsaken er rettet, med kommandoen: %s (mottakere som allerede har fått den, får den ikke igjen).",
		Expired: "retry_for er %s; første forsøk %s; siste feil: %s",
	},
	"pl": {
		BadHead: "spoolgate nie mógł wysłać tej wiadomości i sam nie spróbuje ponownie.",
		What:    "Co się stało:", ToDo: "Co zrobić:", File: "Plik:", When: "Kiedy:",
		Server: "Serwer:", Reply: "Odpowiedź serwera poczty:", Detail: "Szczegóły:",
		Refused: "Odrzuceni odbiorcy:",
		Retry:   "Aby wysłać ją ponownie po usunięciu przyczyny, uruchom: %s (odbiorcy, którzy już ją otrzymali, nie dostaną jej drugi raz).",
		Expired: "retry_for wynosi %s; pierwsza próba %s; ostatni błąd: %s",
	},
	"cs": {
		BadHead: "spoolgate nemohl tuto zprávu odeslat a sám už to znovu nezkusí.",
		What:    "Co se stalo:", ToDo: "Co udělat:", File: "Soubor:", When: "Kdy:",
		Server: "Server:", Reply: "Odpověď poštovního serveru:", Detail: "Podrobnosti:",
		Refused: "Odmítnutí příjemci:",
		Retry:   "Až bude příčina odstraněna, odešlete ji znovu příkazem: %s (příjemci, kteří ji už dostali, ji znovu nedostanou).",
		Expired: "retry_for je %s; první pokus %s; poslední chyba: %s",
	},
	"ru": {
		BadHead: "spoolgate не смог отправить это сообщение и сам больше не будет пытаться.",
		What:    "Что произошло:", ToDo: "Что сделать:", File: "Файл:", When: "Когда:",
		Server: "Сервер:", Reply: "Ответ почтового сервера:", Detail: "Подробности:",
		Refused: "Отклонённые получатели:",
		Retry:   "Чтобы отправить его снова после устранения причины, выполните: %s (получатели, которые его уже получили, не получат его повторно).",
		Expired: "retry_for — %s; первая попытка %s; последняя ошибка: %s",
	},
}

// wordsFor returns the words of lang, English for a language it lacks.
func wordsFor(lang string) badWords {
	if w, ok := badLanguages[lang]; ok {
		return w
	}
	return badLanguages["en"]
}
