package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/testmsg"
)

// The Test page (admin): send a test message through the queue, exactly
// as spoolgate test does (package testmsg), and follow its outcome live:
// static/test.js polls GET /api/test/{name} every second; without script
// the page refreshes itself until the outcome is final.
func init() {
	register(page{order: NavTest, path: "/test", name: "test", role: accounts.Admin,
		label: func(w *words) string { return catalogueWords(testCatalogue, langOf(w)).Nav }, load: loadTest})
	registerPost(post{path: "/test", role: accounts.Admin, handle: sendTest})
	registerAPI(apiRoute{pattern: "POST /api/test", role: accounts.Admin, handle: apiSendTest})
	registerAPI(apiRoute{pattern: "GET /api/test/{name}", role: accounts.Admin, handle: apiFollowTest})
	for _, k := range []string{ActTest, ActCheck, ActDailySend, ActMorningDryRun} {
		byLang := map[string]string{}
		for code, m := range actWords {
			byLang[code] = m[k]
		}
		registerActionLabel(k, byLang)
	}
}

// The kinds of action the Test, Check, Daily logs and Morning scan pages
// record (Action.What).
const (
	ActTest          = "test"            // a test message queued
	ActCheck         = "check"           // spoolgate check run
	ActDailySend     = "daily-send"      // the daily log sent now
	ActMorningDryRun = "morning-dry-run" // a dry run of the morning scan
)

// actWords name those actions on the overview, by language.
var actWords = map[string]map[string]string{
	"en": {ActTest: "test message sent", ActCheck: "check run", ActDailySend: "daily log sent now", ActMorningDryRun: "morning scan dry run"},
	"sv": {ActTest: "testmeddelande skickat", ActCheck: "kontroll körd", ActDailySend: "dagslogg skickad nu", ActMorningDryRun: "provkörning av förseningskontrollen"},
	"nb": {ActTest: "testmelding sendt", ActCheck: "kontroll kjørt", ActDailySend: "dagslogg sendt nå", ActMorningDryRun: "prøvekjøring av forfallskontrollen"},
	"pl": {ActTest: "wysłano wiadomość testową", ActCheck: "uruchomiono sprawdzenie", ActDailySend: "wysłano raport dzienny teraz", ActMorningDryRun: "próbne uruchomienie kontroli terminów"},
	"cs": {ActTest: "odeslána testovací zpráva", ActCheck: "spuštěna kontrola", ActDailySend: "denní protokol odeslán hned", ActMorningDryRun: "zkušební běh kontroly výpůjček"},
	"ru": {ActTest: "отправлено тестовое сообщение", ActCheck: "запущена проверка", ActDailySend: "ежедневный отчёт отправлен сейчас", ActMorningDryRun: "пробный запуск проверки сроков"},
}

// testWords are the Test page's texts in one language. The names of the
// states and of the message kind are the daily log's.
type testWords struct {
	Nav, Intro, To, Send string
	NoAddress            string // no address and no [message] test_to
	BadAddress           string // %s: what was typed
	CannotQueue          string // %s: why (spoolgate's English words)
	Queued               string // %[1]s the file, %[2]s the address
	HOutcome             string
	States               map[string]string // by testmsg.State
	LReply, LQueueID     string
	LServer, LNext, LAt  string
	LReason, LToDo       string
	NotATest             string // the name is not a test message's
}

var testCatalogue = map[string]*testWords{
	"en": {
		Nav: "Test", Intro: "Send a test message through the queue, as spoolgate test does, and watch it go out: the mail relay's reply and its queue id.",
		To: "Send to", Send: "Send a test message",
		NoAddress:   "Give an address to send to (or set test_to in the [message] section of the config).",
		BadAddress:  "Not an e-mail address: %s. Give one like someone@example.org.",
		CannotQueue: "The test message cannot be queued: %s",
		Queued:      "Dropped %s in the queue, to %s.",
		HOutcome:    "The test message",
		States: map[string]string{"queued": "Waiting to be sent", "sending": "Being sent", "deferred": "Deferred: the mail relay asked spoolgate to try again later; it does so by itself",
			"sent": "Sent", "refused": "Not accepted by the mail relay", "bad": "Set aside as .BAD: not sent", "gone": "It left the queue; the journal has no record of it (yet)"},
		LReply: "Reply", LQueueID: "Queue id", LServer: "Server", LNext: "Next attempt", LAt: "When",
		LReason: "Reason", LToDo: "What to do",
		NotATest: "There is no such test message.",
	},
	"sv": {
		Nav: "Test", Intro: "Skicka ett testmeddelande genom kön, som spoolgate test gör, och se det gå iväg: e-postserverns svar och dess kö-id.",
		To: "Skicka till", Send: "Skicka ett testmeddelande",
		NoAddress:   "Ange en adress att skicka till (eller ange test_to i avsnittet [message] i konfigurationen).",
		BadAddress:  "Ingen e-postadress: %s. Ange en som someone@example.org.",
		CannotQueue: "Testmeddelandet kan inte läggas i kön: %s",
		Queued:      "Lade %s i kön, till %s.",
		HOutcome:    "Testmeddelandet",
		States: map[string]string{"queued": "Väntar på att skickas", "sending": "Skickas nu", "deferred": "Fördröjt: e-postservern bad spoolgate försöka igen senare; det sker av sig självt",
			"sent": "Skickat", "refused": "Inte accepterat av e-postservern", "bad": "Lagt åt sidan som .BAD: inte skickat", "gone": "Det har lämnat kön; journalen har (ännu) ingen uppgift om det"},
		LReply: "Svar", LQueueID: "Kö-id", LServer: "Server", LNext: "Nästa försök", LAt: "När",
		LReason: "Orsak", LToDo: "Åtgärd",
		NotATest: "Det finns inget sådant testmeddelande.",
	},
	"nb": {
		Nav: "Test", Intro: "Send en testmelding gjennom køen, slik spoolgate test gjør, og se den gå ut: e-postserverens svar og kø-id.",
		To: "Send til", Send: "Send en testmelding",
		NoAddress:   "Oppgi en adresse å sende til (eller sett test_to i seksjonen [message] i konfigurasjonen).",
		BadAddress:  "Ikke en e-postadresse: %s. Oppgi en som someone@example.org.",
		CannotQueue: "Testmeldingen kan ikke legges i køen: %s",
		Queued:      "La %s i køen, til %s.",
		HOutcome:    "Testmeldingen",
		States: map[string]string{"queued": "Venter på å bli sendt", "sending": "Sendes nå", "deferred": "Utsatt: e-postserveren ba spoolgate prøve igjen senere; det skjer av seg selv",
			"sent": "Sendt", "refused": "Ikke akseptert av e-postserveren", "bad": "Lagt til side som .BAD: ikke sendt", "gone": "Den har forlatt køen; journalen har (ennå) ingen opplysninger om den"},
		LReply: "Svar", LQueueID: "Kø-id", LServer: "Server", LNext: "Neste forsøk", LAt: "Når",
		LReason: "Årsak", LToDo: "Tiltak",
		NotATest: "Det finnes ingen slik testmelding.",
	},
	"pl": {
		Nav: "Test", Intro: "Wyślij wiadomość testową przez kolejkę, tak jak spoolgate test, i zobacz, jak wychodzi: odpowiedź serwera poczty i jego identyfikator w kolejce.",
		To: "Wyślij do", Send: "Wyślij wiadomość testową",
		NoAddress:   "Podaj adres (albo ustaw test_to w sekcji [message] konfiguracji).",
		BadAddress:  "To nie jest adres e-mail: %s. Podaj adres taki jak someone@example.org.",
		CannotQueue: "Nie można dodać wiadomości testowej do kolejki: %s",
		Queued:      "Dodano %s do kolejki, do %s.",
		HOutcome:    "Wiadomość testowa",
		States: map[string]string{"queued": "Czeka na wysłanie", "sending": "W trakcie wysyłania", "deferred": "Odłożona: serwer poczty poprosił o ponowną próbę później; spoolgate zrobi to sam",
			"sent": "Wysłana", "refused": "Nieprzyjęta przez serwer poczty", "bad": "Odłożona jako .BAD: niewysłana", "gone": "Opuściła kolejkę; dziennik nie ma (jeszcze) o niej zapisu"},
		LReply: "Odpowiedź", LQueueID: "Identyfikator w kolejce", LServer: "Serwer", LNext: "Następna próba", LAt: "Kiedy",
		LReason: "Przyczyna", LToDo: "Co zrobić",
		NotATest: "Nie ma takiej wiadomości testowej.",
	},
	"cs": {
		Nav: "Test", Intro: "Odešlete testovací zprávu přes frontu, jako to dělá spoolgate test, a sledujte její odeslání: odpověď poštovního serveru a jeho ID ve frontě.",
		To: "Odeslat na", Send: "Odeslat testovací zprávu",
		NoAddress:   "Zadejte adresu (nebo nastavte test_to v sekci [message] konfigurace).",
		BadAddress:  "Toto není e-mailová adresa: %s. Zadejte adresu jako someone@example.org.",
		CannotQueue: "Testovací zprávu nelze zařadit do fronty: %s",
		Queued:      "Soubor %s zařazen do fronty, pro %s.",
		HOutcome:    "Testovací zpráva",
		States: map[string]string{"queued": "Čeká na odeslání", "sending": "Právě se odesílá", "deferred": "Odložena: poštovní server požádal o pozdější pokus; spoolgate to zkusí sám",
			"sent": "Odeslána", "refused": "Poštovní server ji nepřijal", "bad": "Odložena jako .BAD: neodeslána", "gone": "Opustila frontu; deník o ní (zatím) nemá záznam"},
		LReply: "Odpověď", LQueueID: "ID ve frontě", LServer: "Server", LNext: "Další pokus", LAt: "Kdy",
		LReason: "Příčina", LToDo: "Co dělat",
		NotATest: "Taková testovací zpráva neexistuje.",
	},
	"ru": {
		Nav: "Тест", Intro: "Отправьте тестовое сообщение через очередь, как это делает spoolgate test, и посмотрите, как оно уходит: ответ почтового сервера и номер в его очереди.",
		To: "Кому", Send: "Отправить тестовое сообщение",
		NoAddress:   "Укажите адрес (или задайте test_to в разделе [message] конфигурации).",
		BadAddress:  "Это не адрес e-mail: %s. Укажите адрес вида someone@example.org.",
		CannotQueue: "Тестовое сообщение нельзя поставить в очередь: %s",
		Queued:      "Файл %s поставлен в очередь, для %s.",
		HOutcome:    "Тестовое сообщение",
		States: map[string]string{"queued": "Ждёт отправки", "sending": "Отправляется", "deferred": "Отложено: почтовый сервер попросил повторить позже; spoolgate сделает это сам",
			"sent": "Отправлено", "refused": "Почтовый сервер не принял", "bad": "Отложено как .BAD: не отправлено", "gone": "Покинуло очередь; в журнале (пока) нет записи о нём"},
		LReply: "Ответ", LQueueID: "Номер в очереди", LServer: "Сервер", LNext: "Следующая попытка", LAt: "Когда",
		LReason: "Причина", LToDo: "Что делать",
		NotATest: "Такого тестового сообщения нет.",
	},
}

// testPage is what the Test page shows.
type testPage struct {
	T       *testWords
	To      string // the address in the form
	Error   string
	Queued  string // "Dropped NAME in the queue, to ADDRESS."
	Outcome *testOutcome
}

// testOutcome is where a test message stands, in the visitor's language:
// the page shows it, and GET /api/test/{name} returns it.
type testOutcome struct {
	*testmsg.Outcome
	Address   string `json:"address,omitempty"` // the address it was sent to, as the page asked
	Class     string `json:"class"`             // ok, bad or pending: how the page shows the state
	StateText string `json:"state_text"`
	AtText    string `json:"at_text,omitempty"`
	NextText  string `json:"next_text,omitempty"`
	// The cause of a failure, in package cause's words.
	Label   string `json:"cause_label,omitempty"`
	Meaning string `json:"meaning,omitempty"`
	ToDo    string `json:"todo,omitempty"`
}

// followTest looks at where the test message name stands, for to, in
// v's language.
func (s *Server) followTest(v *visitor, name, to string) (*testOutcome, error) {
	o, err := testmsg.Follow(s.cfg, s.g.Journal(), name, to)
	if err != nil {
		return nil, err
	}
	t := catalogueWords(testCatalogue, v.lang)
	out := &testOutcome{Outcome: o, Address: to, StateText: t.States[string(o.State)], Class: "pending"}
	switch o.State {
	case testmsg.Sent:
		out.Class = "ok"
	case testmsg.Bad, testmsg.Refused:
		out.Class = "bad"
	}
	if !o.At.IsZero() {
		out.AtText = s.stamp(o.At)
	}
	if !o.Next.IsZero() && o.State == testmsg.Deferred {
		out.NextText = s.stamp(o.Next)
	}
	if o.Cause != "" && o.State != testmsg.Sent {
		c := cause.Cause(o.Cause)
		out.Label = cause.Label(v.lang, c)
		out.Meaning, out.ToDo = cause.Explain(v.lang, c)
	}
	return out, nil
}

// loadTest is the Test page: the form, and with ?name= the outcome of
// that test message.
func loadTest(s *Server, r *http.Request, v *visitor) any {
	t := catalogueWords(testCatalogue, v.lang)
	p := &testPage{T: t, To: s.cfg.Message.TestTo}
	q := r.URL.Query()
	if to := q.Get("to"); to != "" {
		p.To = to
	}
	name := q.Get("name")
	if name == "" {
		return p
	}
	if !testmsg.IsName(name) {
		p.Error = t.NotATest
		return p
	}
	o, err := s.followTest(v, name, q.Get("to"))
	if err != nil {
		p.Error = fmt.Sprintf(v.w.CannotRead, err.Error())
		return p
	}
	p.Outcome = o
	p.Queued = fmt.Sprintf(t.Queued, name, q.Get("to"))
	return p
}

// queueTest queues a test message to to (empty: [message] test_to) for
// the visitor, and records the action. msg is the refusal in the
// visitor's words when it could not be queued.
func (s *Server) queueTest(r *http.Request, v *visitor, to string) (name, addr, msg string) {
	t := catalogueWords(testCatalogue, v.lang)
	to = strings.TrimSpace(to)
	if to == "" {
		to = s.cfg.Message.TestTo
	}
	act := Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActTest, Target: to}
	var err error
	switch addr, err = testmsg.Address(to); {
	case to == "":
		msg = t.NoAddress
	case err != nil:
		msg = fmt.Sprintf(t.BadAddress, to)
	default:
		name, err = testmsg.Queue(s.cfg, addr, s.now())
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("the queue folder %s does not exist: %w", s.cfg.Spool.Folder, err)
		}
		if err != nil {
			msg = fmt.Sprintf(t.CannotQueue, err.Error())
		}
	}
	act.OK = msg == ""
	act.Detail = name
	if err != nil {
		act.Detail = err.Error()
	} else if msg != "" {
		act.Detail = msg
	}
	s.actions.record(act)
	return name, addr, msg
}

// sendTest is POST /test: the form's address (to); then the page of its
// outcome.
func sendTest(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		to := r.PostFormValue("to")
		name, addr, msg := s.queueTest(r, v, to)
		if msg != "" {
			t := catalogueWords(testCatalogue, v.lang)
			s.render(w, r, v, http.StatusUnprocessableEntity, "test", t.Nav, &testPage{T: t, To: to, Error: msg})
			return
		}
		http.Redirect(w, r, "/test?"+url.Values{"name": {name}, "to": {addr}}.Encode(), http.StatusSeeOther)
	})
}

// apiSendTest is POST /api/test {"to": ADDRESS}: it queues a test message
// (to [message] test_to when to is empty) and answers 202 with its name,
// to follow at GET /api/test/{name}.
func apiSendTest(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		var req struct {
			To string `json:"to"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want a JSON body like {"to": "someone@example.org"}`})
			return
		}
		name, addr, msg := s.queueTest(r, v, req.To)
		if msg != "" {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": msg})
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"name": name, "to": addr, "follow": "/api/test/" + url.PathEscape(name)})
	})
}

// apiFollowTest is GET /api/test/{name}?to=ADDRESS: where the test
// message stands (see testOutcome); to, when given, is the address whose
// acceptance makes it sent.
func apiFollowTest(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		name := r.PathValue("name")
		if !testmsg.IsName(name) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not a test message's name"})
			return
		}
		o, err := s.followTest(v, name, r.URL.Query().Get("to"))
		if err != nil {
			s.log.Error("cannot follow a test message", "name", name, "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, o)
	})
}
