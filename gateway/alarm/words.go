package alarm

import "strings"

// texts are the alarm's words in one language. Every field is filled in
// every language of package lang; a test checks it.
type texts struct {
	SubjRelay   string // "%[1]s": the chain as people know it, "%[2]s": since when
	SubjQueue   string // "%[1]s": how many files wait, "%[2]s": since when
	SubjCleared string // "%s": the problem's subject words
	Relay       string // "%[1]s" chain title, "%[2]s" section, "%[3]s" since, "%[4]s" after
	Queue       string // "%[1]d" files, "%[2]s" folder, "%[3]s" since, "%[4]s" after
	QueueWhy    string // why files wait when no relay is down
	Why         string // "%s": the cause's meaning (package cause)
	Reply       string // "%s": the relay's reply, verbatim
	ToDo        string // "%s": what to do (package cause)
	QueueToDo   string // what to do when files wait and no relay is down
	Cleared     string // "%[1]s" what was stuck, "%[2]s" since, "%[3]s" now
	Footer      string // "%[1]s" host, "%[2]s" config file
}

var words = map[string]texts{
	"en": {
		SubjRelay:   "spoolgate ALARM: mail is not going out: relay %[1]s unavailable since %[2]s",
		SubjQueue:   "spoolgate ALARM: mail is not going out: %[1]s files waiting since %[2]s",
		SubjCleared: "spoolgate: resolved: %s",
		Relay:       "The relay %[1]s ([%[2]s]) has been unavailable since %[3]s, longer than [alarm] after = %[4]s. Mail for it waits in the queue and is not being sent.",
		Queue:       "%[1]d file(s) wait in the queue folder %[2]s; the oldest since %[3]s, longer than [alarm] after = %[4]s.",
		QueueWhy:    "No relay is reported unavailable: spoolgate runs but has not taken these files (the rate window, a file still being written, or a sending limit).",
		Why:         "Why: %s",
		Reply:       "The relay replied: %s",
		ToDo:        "What to do: %s",
		QueueToDo:   "What to do: run spoolgate queue (or open the queue page of the web console), which says why each file waits.",
		Cleared:     "Resolved: %[1]s, stuck since %[2]s, works again (%[3]s).",
		Footer:      "spoolgate on %[1]s (config %[2]s) sends this once when a problem starts and once when it ends.",
	},
	"sv": {
		SubjRelay:   "spoolgate LARM: e-post skickas inte: reläet %[1]s otillgängligt sedan %[2]s",
		SubjQueue:   "spoolgate LARM: e-post skickas inte: %[1]s filer väntar sedan %[2]s",
		SubjCleared: "spoolgate: åtgärdat: %s",
		Relay:       "Reläet %[1]s ([%[2]s]) har varit otillgängligt sedan %[3]s, längre än [alarm] after = %[4]s. E-post till det väntar i kön och skickas inte.",
		Queue:       "%[1]d fil(er) väntar i kömappen %[2]s; den äldsta sedan %[3]s, längre än [alarm] after = %[4]s.",
		QueueWhy:    "Inget relä rapporteras otillgängligt: spoolgate körs men har inte tagit filerna (hastighetsfönstret, en fil som fortfarande skrivs, eller en sändningsgräns).",
		Why:         "Orsak: %s",
		Reply:       "Reläet svarade: %s",
		ToDo:        "Att göra: %s",
		QueueToDo:   "Att göra: kör spoolgate queue (eller öppna köns sida i webbkonsolen), som visar varför varje fil väntar.",
		Cleared:     "Åtgärdat: %[1]s, fast sedan %[2]s, fungerar igen (%[3]s).",
		Footer:      "spoolgate på %[1]s (konfiguration %[2]s) skickar detta en gång när ett problem börjar och en gång när det upphör.",
	},
	"nb": {
		SubjRelay:   "spoolgate ALARM: e-post sendes ikke: reléet %[1]s utilgjengelig siden %[2]s",
		SubjQueue:   "spoolgate ALARM: e-post sendes ikke: %[1]s filer venter siden %[2]s",
		SubjCleared: "spoolgate: løst: %s",
		Relay:       "Reléet %[1]s ([%[2]s]) har vært utilgjengelig siden %[3]s, lenger enn [alarm] after = %[4]s. E-post til det venter i køen og blir ikke sendt.",
		Queue:       "%[1]d fil(er) venter i kømappen %[2]s; den eldste siden %[3]s, lenger enn [alarm] after = %[4]s.",
		QueueWhy:    "Ingen relé er meldt utilgjengelig: spoolgate kjører, men har ikke tatt filene (hastighetsvinduet, en fil som fortsatt skrives, eller en sendegrense).",
		Why:         "Årsak: %s",
		Reply:       "Reléet svarte: %s",
		ToDo:        "Hva du gjør: %s",
		QueueToDo:   "Hva du gjør: kjør spoolgate queue (eller åpne køsiden i nettkonsollen), som viser hvorfor hver fil venter.",
		Cleared:     "Løst: %[1]s, stanset siden %[2]s, virker igjen (%[3]s).",
		Footer:      "spoolgate på %[1]s (konfigurasjon %[2]s) sender dette én gang når et problem begynner og én gang når det er over.",
	},
	"pl": {
		SubjRelay:   "spoolgate ALARM: poczta nie wychodzi: przekaźnik %[1]s niedostępny od %[2]s",
		SubjQueue:   "spoolgate ALARM: poczta nie wychodzi: plików czekających od %[2]s: %[1]s",
		SubjCleared: "spoolgate: rozwiązane: %s",
		Relay:       "Przekaźnik %[1]s ([%[2]s]) jest niedostępny od %[3]s, dłużej niż [alarm] after = %[4]s. Poczta do niego czeka w kolejce i nie jest wysyłana.",
		Queue:       "Plików czekających w folderze kolejki %[2]s: %[1]d; najstarszy od %[3]s, dłużej niż [alarm] after = %[4]s.",
		QueueWhy:    "Żaden przekaźnik nie jest zgłoszony jako niedostępny: spoolgate działa, ale nie pobrał tych plików (okno szybkości, plik wciąż zapisywany lub limit wysyłki).",
		Why:         "Przyczyna: %s",
		Reply:       "Przekaźnik odpowiedział: %s",
		ToDo:        "Co zrobić: %s",
		QueueToDo:   "Co zrobić: uruchom spoolgate queue (lub otwórz stronę kolejki w konsoli WWW), które mówi, dlaczego każdy plik czeka.",
		Cleared:     "Rozwiązane: %[1]s, zablokowane od %[2]s, znów działa (%[3]s).",
		Footer:      "spoolgate na %[1]s (konfiguracja %[2]s) wysyła to raz, gdy problem się zaczyna, i raz, gdy się kończy.",
	},
	"cs": {
		SubjRelay:   "spoolgate POPLACH: pošta neodchází: relé %[1]s nedostupné od %[2]s",
		SubjQueue:   "spoolgate POPLACH: pošta neodchází: souborů čekajících od %[2]s: %[1]s",
		SubjCleared: "spoolgate: vyřešeno: %s",
		Relay:       "Relé %[1]s ([%[2]s]) je nedostupné od %[3]s, déle než [alarm] after = %[4]s. Pošta pro něj čeká ve frontě a neodesílá se.",
		Queue:       "Souborů čekajících ve složce fronty %[2]s: %[1]d; nejstarší od %[3]s, déle než [alarm] after = %[4]s.",
		QueueWhy:    "Žádné relé není hlášeno jako nedostupné: spoolgate běží, ale tyto soubory nepřevzal (okno rychlosti, soubor se ještě zapisuje, nebo limit odesílání).",
		Why:         "Příčina: %s",
		Reply:       "Relé odpovědělo: %s",
		ToDo:        "Co dělat: %s",
		QueueToDo:   "Co dělat: spusťte spoolgate queue (nebo otevřete stránku fronty ve webové konzoli), které řekne, proč každý soubor čeká.",
		Cleared:     "Vyřešeno: %[1]s, zaseknuté od %[2]s, opět funguje (%[3]s).",
		Footer:      "spoolgate na %[1]s (konfigurace %[2]s) posílá toto jednou, když problém začne, a jednou, když skončí.",
	},
	"ru": {
		SubjRelay:   "spoolgate ТРЕВОГА: почта не уходит: релей %[1]s недоступен с %[2]s",
		SubjQueue:   "spoolgate ТРЕВОГА: почта не уходит: файлов ждёт с %[2]s: %[1]s",
		SubjCleared: "spoolgate: устранено: %s",
		Relay:       "Релей %[1]s ([%[2]s]) недоступен с %[3]s, дольше, чем [alarm] after = %[4]s. Почта для него ждёт в очереди и не отправляется.",
		Queue:       "Файлов в папке очереди %[2]s: %[1]d; самый старый ждёт с %[3]s, дольше, чем [alarm] after = %[4]s.",
		QueueWhy:    "Ни один релей не отмечен как недоступный: spoolgate работает, но не взял эти файлы (окно скорости, файл ещё записывается или лимит отправки).",
		Why:         "Причина: %s",
		Reply:       "Ответ релея: %s",
		ToDo:        "Что делать: %s",
		QueueToDo:   "Что делать: выполните spoolgate queue (или откройте страницу очереди в веб-консоли): там сказано, почему ждёт каждый файл.",
		Cleared:     "Устранено: %[1]s, с %[2]s, снова работает (%[3]s).",
		Footer:      "spoolgate на %[1]s (конфигурация %[2]s) отправляет это один раз, когда проблема начинается, и один раз, когда она заканчивается.",
	},
}

// wordsFor is the words of lang, English for an unknown language.
func wordsFor(lang string) texts {
	if t, ok := words[strings.ToLower(strings.TrimSpace(lang))]; ok {
		return t
	}
	return words["en"]
}
