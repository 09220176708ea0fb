package console

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/views"
	"github.com/spoolgate/spoolgate/spool"
)

// The Queue page (librarian): the queue folder as `spoolgate queue`
// lists it (package inspect, shown through package views, so the page,
// the command line and /api/queue say the same): the waiting files oldest
// first (at most queueLimit, and how many more), those being sent, the
// deferred ones with their next attempt and last reply, the .BAD files
// with their cause, what happened and what to do in the reader's
// language (package cause, through views.BadOf), and the files no
// pattern takes. A librarian may put a .BAD file back (Retry, the same
// code as `spoolgate retry`: gateway.Retry); an admin may also discard
// one, which moves it and its reason file into DiscardFolder in the data
// folder: patron mail is never deleted. Both are recorded as actions.
func init() {
	register(page{order: NavQueue, path: "/queue", name: "queue", role: accounts.Librarian,
		label: func(w *words) string { return queueWordsOf(langOf(w)).Nav }, load: loadQueue})
	registerPost(post{path: "/queue/retry", role: accounts.Librarian, handle: retryBad})
	registerPost(post{path: "/queue/discard", role: accounts.Admin, handle: discardBad})
	registerActionLabel(ActRetry, map[string]string{"en": "file put back in the queue", "sv": "fil tillbaka i kön",
		"nb": "fil lagt tilbake i køen", "pl": "plik przywrócony do kolejki", "cs": "soubor vrácen do fronty", "ru": "файл возвращён в очередь"})
	registerActionLabel(ActDiscard, map[string]string{"en": "file discarded", "sv": "fil kasserad", "nb": "fil forkastet",
		"pl": "plik odrzucony", "cs": "soubor zahozen", "ru": "файл отброшен"})
}

// queueLimit is how many waiting files the page lists, as `spoolgate
// queue` does by default.
const queueLimit = 50

// DiscardFolder is the folder, in [spool] data, that a discarded .BAD
// file and its reason file are moved into.
const DiscardFolder = "discarded"

// The kinds of action (Action.What) of the queue page.
const (
	ActRetry   = "retry"
	ActDiscard = "discard"
)

// queueWords are the Queue page's texts in one language.
type queueWords struct {
	Nav, Intro                                   string
	HWaiting, HSending, HDeferred, HBad, HUnmat  string
	None                                         string
	More                                         string // %d: waiting files not listed
	WhyWaiting                                   string
	ColFile, ColSize, ColWaited, ColInstance     string
	ColNext, ColAttempts, ColLastReply, ColSince string
	ColCause, ColWhat, ColToDo, ColRefused       string
	ColReply, ColServer, ColActions              string
	DueNow, NoReason                             string
	Retry, Discard, DiscardNote                  string
	Retried                                      string // %[1]s the .BAD file, %[2]s its name in the queue
	RetriedSkip                                  string // %s: the recipients who had it, skipped
	RetriedAgain                                 string // %s: the recipients who had it and get it again
	Discarded                                    string // %[1]s the .BAD file, %[2]s the folder
	NoSuchBad                                    string // %s: the name given
	CannotRetry, CannotDiscard                   string // %[1]s the file, %[2]s why (spoolgate's English words)
	UnmatNote                                    string // %s: the patterns
}

var queueCatalogue = map[string]*queueWords{
	"en": {
		Nav: "Queue", Intro: "The queue folder now: what waits, what is being sent, what waits for a retry, and what was set aside as .BAD.",
		HWaiting: "Waiting to be sent", HSending: "Being sent", HDeferred: "Waiting for a retry", HBad: "Set aside as .BAD",
		HUnmat: "Files no [spool] pattern takes (never sent)", None: "None.", More: "and %d more, not listed here",
		WhyWaiting: "Why they wait",
		ColFile:    "File", ColSize: "Size", ColWaited: "Waiting since", ColInstance: "Instance",
		ColNext: "Next attempt", ColAttempts: "Attempts", ColLastReply: "Last reply", ColSince: "Set aside",
		ColCause: "Reason", ColWhat: "What happened", ColToDo: "What to do", ColRefused: "Refused recipients",
		ColReply: "Reply", ColServer: "Server", ColActions: "Actions",
		DueNow: "due now", NoReason: "No reason file beside it: spoolgate does not know why it was set aside.",
		Retry: "Retry", Discard: "Discard", DiscardNote: "Discard moves the file and its reason into the folder discarded in the data folder; nothing is deleted.",
		Retried:     "%[1]s is back in the queue as %[2]s and is sent now.",
		RetriedSkip: "Only the recipients who did not get it get it (already sent to %s).", RetriedAgain: "It goes as a new message, so %s, who already got it, will get it again.",
		Discarded: "%[1]s and its reason were moved to %[2]s.", NoSuchBad: "There is no .BAD file %s (any more).",
		CannotRetry: "%[1]s cannot be put back: %[2]s", CannotDiscard: "%[1]s cannot be discarded: %[2]s",
		UnmatNote: "spoolgate never sends these. If they are messages, have the library system name them to match [spool] pattern = %s, or add a pattern that takes them.",
	},
	"sv": {
		Nav: "Kö", Intro: "Kömappen just nu: vad som väntar, vad som skickas, vad som väntar på ett nytt försök och vad som lagts åt sidan som .BAD.",
		HWaiting: "Väntar på att skickas", HSending: "Skickas nu", HDeferred: "Väntar på ett nytt försök", HBad: "Lagda åt sidan som .BAD",
		HUnmat: "Filer som inget [spool] pattern matchar (skickas aldrig)", None: "Inga.", More: "och %d till, som inte visas här",
		WhyWaiting: "Varför de väntar",
		ColFile:    "Fil", ColSize: "Storlek", ColWaited: "Väntar sedan", ColInstance: "Instans",
		ColNext: "Nästa försök", ColAttempts: "Försök", ColLastReply: "Senaste svar", ColSince: "Lagd åt sidan",
		ColCause: "Orsak", ColWhat: "Vad som hände", ColToDo: "Åtgärd", ColRefused: "Nekade mottagare",
		ColReply: "Svar", ColServer: "Server", ColActions: "Åtgärder",
		DueNow: "nu", NoReason: "Ingen orsaksfil bredvid: spoolgate vet inte varför den lades åt sidan.",
		Retry: "Försök igen", Discard: "Kasta", DiscardNote: "Kasta flyttar filen och dess orsaksfil till mappen discarded i datamappen; inget raderas.",
		Retried:     "%[1]s ligger i kön igen som %[2]s och skickas nu.",
		RetriedSkip: "Bara de mottagare som inte fick det får det (redan skickat till %s).", RetriedAgain: "Det skickas som ett nytt meddelande, så %s, som redan fått det, får det igen.",
		Discarded: "%[1]s och dess orsaksfil flyttades till %[2]s.", NoSuchBad: "Det finns ingen .BAD-fil %s (längre).",
		CannotRetry: "%[1]s kan inte läggas i kön igen: %[2]s", CannotDiscard: "%[1]s kan inte kastas: %[2]s",
		UnmatNote: "spoolgate skickar aldrig dessa. Om de är meddelanden: låt bibliotekssystemet namnge dem så att de matchar [spool] pattern = %s, eller lägg till ett mönster som tar dem.",
	},
	"nb": {
		Nav: "Kø", Intro: "Kømappen nå: hva som venter, hva som sendes, hva som venter på et nytt forsøk og hva som er lagt til side som .BAD.",
		HWaiting: "Venter på å bli sendt", HSending: "Sendes nå", HDeferred: "Venter på et nytt forsøk", HBad: "Lagt til side som .BAD",
		HUnmat: "Filer som ingen [spool] pattern tar (sendes aldri)", None: "Ingen.", More: "og %d til, som ikke vises her",
		WhyWaiting: "Hvorfor de venter",
		ColFile:    "Fil", ColSize: "Størrelse", ColWaited: "Venter siden", ColInstance: "Instans",
		ColNext: "Neste forsøk", ColAttempts: "Forsøk", ColLastReply: "Siste svar", ColSince: "Lagt til side",
		ColCause: "Årsak", ColWhat: "Hva som skjedde", ColToDo: "Hva du gjør", ColRefused: "Avviste mottakere",
		ColReply: "Svar", ColServer: "Server", ColActions: "Handlinger",
		DueNow: "nå", NoReason: "Ingen årsaksfil ved siden av: spoolgate vet ikke hvorfor den ble lagt til side.",
		Retry: "Prøv igjen", Discard: "Forkast", DiscardNote: "Forkast flytter filen og årsaksfilen til mappen discarded i datamappen; ingenting slettes.",
		Retried:     "%[1]s er tilbake i køen som %[2]s og sendes nå.",
		RetriedSkip: "Bare mottakerne som ikke fikk den, får den (allerede sendt til %s).", RetriedAgain: "Den sendes som en ny melding, så %s, som allerede har fått den, får den igjen.",
		Discarded: "%[1]s og årsaksfilen ble flyttet til %[2]s.", NoSuchBad: "Det finnes ingen .BAD-fil %s (lenger).",
		CannotRetry: "%[1]s kan ikke legges tilbake i køen: %[2]s", CannotDiscard: "%[1]s kan ikke forkastes: %[2]s",
		UnmatNote: "spoolgate sender aldri disse. Hvis de er meldinger: la biblioteksystemet gi dem navn som passer [spool] pattern = %s, eller legg til et mønster som tar dem.",
	},
	"pl": {
		Nav: "Kolejka", Intro: "Folder kolejki teraz: co czeka, co jest wysyłane, co czeka na ponowną próbę i co odłożono jako .BAD.",
		HWaiting: "Czeka na wysłanie", HSending: "Wysyłane teraz", HDeferred: "Czeka na ponowną próbę", HBad: "Odłożone jako .BAD",
		HUnmat: "Pliki, których nie obejmuje żaden [spool] pattern (nigdy nie wysyłane)", None: "Brak.", More: "i %d więcej, niepokazanych tutaj",
		WhyWaiting: "Dlaczego czekają",
		ColFile:    "Plik", ColSize: "Rozmiar", ColWaited: "Czeka od", ColInstance: "Instancja",
		ColNext: "Następna próba", ColAttempts: "Próby", ColLastReply: "Ostatnia odpowiedź", ColSince: "Odłożono",
		ColCause: "Przyczyna", ColWhat: "Co się stało", ColToDo: "Co zrobić", ColRefused: "Odrzuceni odbiorcy",
		ColReply: "Odpowiedź", ColServer: "Serwer", ColActions: "Działania",
		DueNow: "teraz", NoReason: "Brak pliku z przyczyną: spoolgate nie wie, dlaczego plik odłożono.",
		Retry: "Ponów", Discard: "Odrzuć", DiscardNote: "Odrzuć przenosi plik i jego przyczynę do folderu discarded w folderze danych; nic nie jest usuwane.",
		Retried:     "%[1]s wrócił do kolejki jako %[2]s i jest wysyłany teraz.",
		RetriedSkip: "Dostaną go tylko odbiorcy, którzy go nie dostali (już wysłano do %s).", RetriedAgain: "Idzie jako nowa wiadomość, więc %s, kto już go dostał, dostanie go ponownie.",
		Discarded: "%[1]s i jego przyczynę przeniesiono do %[2]s.", NoSuchBad: "Nie ma (już) pliku .BAD %s.",
		CannotRetry: "Nie można przywrócić %[1]s do kolejki: %[2]s", CannotDiscard: "Nie można odrzucić %[1]s: %[2]s",
		UnmatNote: "spoolgate nigdy ich nie wysyła. Jeśli to wiadomości, niech system biblioteczny nazywa je zgodnie z [spool] pattern = %s, albo dodaj wzorzec, który je obejmie.",
	},
	"cs": {
		Nav: "Fronta", Intro: "Složka fronty právě teď: co čeká, co se odesílá, co čeká na další pokus a co bylo odloženo jako .BAD.",
		HWaiting: "Čeká na odeslání", HSending: "Odesílá se", HDeferred: "Čeká na další pokus", HBad: "Odloženo jako .BAD",
		HUnmat: "Soubory, které nebere žádný [spool] pattern (nikdy se neodešlou)", None: "Žádné.", More: "a %d dalších, které zde nejsou uvedeny",
		WhyWaiting: "Proč čekají",
		ColFile:    "Soubor", ColSize: "Velikost", ColWaited: "Čeká od", ColInstance: "Instance",
		ColNext: "Další pokus", ColAttempts: "Pokusy", ColLastReply: "Poslední odpověď", ColSince: "Odloženo",
		ColCause: "Příčina", ColWhat: "Co se stalo", ColToDo: "Co dělat", ColRefused: "Odmítnutí příjemci",
		ColReply: "Odpověď", ColServer: "Server", ColActions: "Akce",
		DueNow: "nyní", NoReason: "Vedle není soubor s příčinou: spoolgate neví, proč byl odložen.",
		Retry: "Zkusit znovu", Discard: "Vyřadit", DiscardNote: "Vyřadit přesune soubor a jeho příčinu do složky discarded v datové složce; nic se nemaže.",
		Retried:     "%[1]s je zpět ve frontě jako %[2]s a odesílá se hned.",
		RetriedSkip: "Dostanou ho jen příjemci, kteří ho nedostali (už odesláno na %s).", RetriedAgain: "Jde jako nová zpráva, takže %s, kdo ji už dostal, ji dostane znovu.",
		Discarded: "%[1]s a jeho příčina byly přesunuty do %[2]s.", NoSuchBad: "Soubor .BAD %s neexistuje (už).",
		CannotRetry: "%[1]s nelze vrátit do fronty: %[2]s", CannotDiscard: "%[1]s nelze vyřadit: %[2]s",
		UnmatNote: "spoolgate je nikdy neodešle. Jsou-li to zprávy, ať je knihovní systém pojmenuje podle [spool] pattern = %s, nebo přidejte vzor, který je vezme.",
	},
	"ru": {
		Nav: "Очередь", Intro: "Папка очереди сейчас: что ждёт, что отправляется, что ждёт повторной попытки и что отложено как .BAD.",
		HWaiting: "Ждут отправки", HSending: "Отправляются", HDeferred: "Ждут повторной попытки", HBad: "Отложены как .BAD",
		HUnmat: "Файлы, которые не подходят ни под один [spool] pattern (никогда не отправляются)", None: "Нет.", More: "и ещё %d, не показанных здесь",
		WhyWaiting: "Почему они ждут",
		ColFile:    "Файл", ColSize: "Размер", ColWaited: "Ждёт с", ColInstance: "Экземпляр",
		ColNext: "Следующая попытка", ColAttempts: "Попытки", ColLastReply: "Последний ответ", ColSince: "Отложен",
		ColCause: "Причина", ColWhat: "Что произошло", ColToDo: "Что делать", ColRefused: "Отклонённые получатели",
		ColReply: "Ответ", ColServer: "Сервер", ColActions: "Действия",
		DueNow: "сейчас", NoReason: "Рядом нет файла причины: spoolgate не знает, почему файл отложен.",
		Retry: "Повторить", Discard: "Убрать", DiscardNote: "«Убрать» перемещает файл и его причину в папку discarded в папке данных; ничего не удаляется.",
		Retried:     "%[1]s снова в очереди как %[2]s и отправляется сейчас.",
		RetriedSkip: "Его получат только те, кто не получил (уже отправлено: %s).", RetriedAgain: "Оно уходит как новое сообщение, поэтому %s, уже получившие его, получат его снова.",
		Discarded: "%[1]s и его причина перемещены в %[2]s.", NoSuchBad: "Файла .BAD %s нет (больше нет).",
		CannotRetry: "%[1]s нельзя вернуть в очередь: %[2]s", CannotDiscard: "%[1]s нельзя убрать: %[2]s",
		UnmatNote: "spoolgate никогда их не отправляет. Если это сообщения, пусть библиотечная система называет их по [spool] pattern = %s, или добавьте шаблон, который их возьмёт.",
	},
}

// queueWordsOf is the Queue page's words in lang, English if it has none.
func queueWordsOf(lang string) *queueWords { return catalogueWords(queueCatalogue, lang) }

// queueView is what the Queue page shows.
type queueView struct {
	T            *queueWords
	Message      string // what a Retry or Discard did
	Bad          bool   // Message is an error
	Err          string // the queue cannot be read
	Why          string // why the waiting files wait
	Waiting      []fileRow
	More         string // how many waiting files are not listed
	Sending      []fileRow
	Deferred     []fileRow
	BadFiles     []badRow
	Unmatched    []fileRow
	UnmatchedFor string // the note with the patterns
}

type fileRow struct {
	Name, File, Size, When, Instance string
	Next, Attempts, Reply            string
}

type badRow struct {
	Name, File, When     string
	Label, What, ToDo    string
	Server, Reply, Limit string
	NoReason             bool
	Refused              []refusedRow
	Retry, Discard       bool // the visitor may
	RetryID, DiscardID   string
}

type refusedRow struct{ Address, Label, Reply string }

// loadQueue reads the queue as `spoolgate queue` does, explained in the
// visitor's language.
func loadQueue(s *Server, r *http.Request, v *visitor) any {
	return s.queueView(r, v, "", false)
}

func (s *Server) queueView(r *http.Request, v *visitor, msg string, bad bool) *queueView {
	t := queueWordsOf(v.lang)
	qv := &queueView{T: t, Message: msg, Bad: bad}
	if msg == "" {
		qv.Message = s.flash(r, t)
	}
	q, err := inspect.List(s.cfg, queueLimit)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("the queue folder %s does not exist", s.cfg.Spool.Folder)
		}
		qv.Err = fmt.Sprintf(v.w.CannotRead, err.Error())
		return qv
	}
	h := inspect.ReadHealth(s.cfg, true, s.now())
	doc := views.QueueOf(q, h, s.cfg, v.lang)
	if doc.WhyWaiting != nil {
		qv.Why = doc.WhyWaiting.Text
	}
	for _, f := range doc.Files {
		qv.Waiting = append(qv.Waiting, fileRow{Name: f.Name, Size: sizeText(f.Size), When: s.stamp(f.Modified)})
	}
	if more := doc.Waiting - len(doc.Files); more > 0 {
		qv.More = fmt.Sprintf(t.More, more)
	}
	for _, f := range doc.Sending {
		qv.Sending = append(qv.Sending, fileRow{Name: f.Name, File: f.File, Instance: f.Instance, When: s.stamp(f.Modified)})
	}
	now := s.now()
	for _, f := range doc.Deferred {
		row := fileRow{Name: f.Name, File: f.File, Instance: f.Instance, Reply: f.LastError}
		switch {
		case f.Next == nil:
		case !f.Next.After(now):
			row.Next = t.DueNow
		default:
			row.Next = s.stamp(*f.Next)
		}
		if f.Attempts > 0 {
			row.Attempts = fmt.Sprint(f.Attempts)
		}
		qv.Deferred = append(qv.Deferred, row)
	}
	for i, f := range doc.Bad {
		row := badRow{Name: f.Name, File: f.File, What: f.What, ToDo: f.Action, Server: f.Server, Reply: f.Reply, Limit: f.Limit,
			NoReason: f.Reason != nil && !*f.Reason, Retry: v.may(accounts.Librarian), Discard: v.admin(),
			RetryID: fmt.Sprintf("retry-%d", i), DiscardID: fmt.Sprintf("discard-%d", i)}
		if f.When != nil {
			row.When = s.stamp(*f.When)
		} else {
			row.When = s.stamp(f.Modified)
		}
		if f.Cause != "" {
			row.Label = cause.Label(v.lang, cause.Cause(f.Cause))
		}
		for _, rc := range f.Recipients {
			rr := refusedRow{Address: rc.Address, Reply: rc.Reply}
			if rc.Cause != "" {
				rr.Label = cause.Label(v.lang, cause.Cause(rc.Cause))
			}
			row.Refused = append(row.Refused, rr)
		}
		qv.BadFiles = append(qv.BadFiles, row)
	}
	for _, f := range doc.Unmatched {
		qv.Unmatched = append(qv.Unmatched, fileRow{Name: f.File, Size: sizeText(f.Size), When: s.stamp(f.Modified)})
	}
	if len(qv.Unmatched) > 0 {
		qv.UnmatchedFor = fmt.Sprintf(t.UnmatNote, strings.Join(doc.Patterns, ", "))
	}
	return qv
}

// flash is what the redirect after a Retry or Discard says, from its
// query: the names are shown as text, never as markup.
func (s *Server) flash(r *http.Request, t *queueWords) string {
	q := r.URL.Query()
	switch {
	case q.Has("retried"):
		msg := fmt.Sprintf(t.Retried, q.Get("retried"), q.Get("as"))
		if d := q.Get("skipped"); d != "" {
			msg += " " + fmt.Sprintf(t.RetriedSkip, d)
		}
		if d := q.Get("again"); d != "" {
			msg += " " + fmt.Sprintf(t.RetriedAgain, d)
		}
		return msg
	case q.Has("discarded"):
		return fmt.Sprintf(t.Discarded, q.Get("discarded"), q.Get("into"))
	}
	return ""
}

// sizeText is n bytes for people.
func sizeText(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}

// retryBad is POST /queue/retry: the form's name, a .BAD file, goes back
// in the queue (gateway.Retry, as `spoolgate retry` puts it back), and
// the running gateway sends it at once. Recorded as an action.
func retryBad(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		t := queueWordsOf(v.lang)
		name := r.PostFormValue("name")
		res, status, err := s.retry(r, v, name)
		if err != nil {
			msg := fmt.Sprintf(t.CannotRetry, name, err.Error())
			if status == http.StatusNotFound {
				msg = fmt.Sprintf(t.NoSuchBad, name)
			}
			s.render(w, r, v, status, "queue", t.Nav, s.queueView(r, v, msg, true))
			return
		}
		q := url.Values{"retried": {res.Bad}, "as": {res.Entry.Name}}
		if len(res.Delivered) > 0 {
			if res.Own {
				q.Set("skipped", strings.Join(res.Delivered, ", "))
			} else {
				q.Set("again", strings.Join(res.Delivered, ", "))
			}
		}
		http.Redirect(w, r, "/queue?"+q.Encode(), http.StatusSeeOther)
	})
}

// retry puts the .BAD file name back (gateway's Retry) and records it;
// the status is what an error means for HTTP: 404 for no such file, 409
// for one that cannot go back now.
func (s *Server) retry(r *http.Request, v *visitor, name string) (gateway.Retried, int, error) {
	a := Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActRetry, Target: name}
	if name == "" {
		a.Detail = "no file named"
		s.actions.record(a)
		return gateway.Retried{}, http.StatusBadRequest, errors.New("name the .BAD file")
	}
	res, err := s.g.Retry(name)
	if err != nil {
		a.Detail = err.Error()
		s.actions.record(a)
		status := http.StatusConflict
		if errors.Is(err, gateway.ErrNoBad) {
			status = http.StatusNotFound
		}
		return res, status, err
	}
	a.Target, a.OK = res.Bad, true
	a.Detail = "back in the queue as " + res.Entry.Name
	s.actions.record(a)
	return res, http.StatusOK, nil
}

// discardBad is POST /queue/discard (admin): the form's name, a .BAD file,
// and its reason file move into DiscardFolder in the data folder
// (spool's Discard): never deleted. Recorded as an action.
func discardBad(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		t := queueWordsOf(v.lang)
		name := r.PostFormValue("name")
		into, status, err := s.discard(r, v, name)
		if err != nil {
			msg := fmt.Sprintf(t.CannotDiscard, name, err.Error())
			if status == http.StatusNotFound {
				msg = fmt.Sprintf(t.NoSuchBad, name)
			}
			s.render(w, r, v, status, "queue", t.Nav, s.queueView(r, v, msg, true))
			return
		}
		http.Redirect(w, r, "/queue?"+url.Values{"discarded": {name}, "into": {into}}.Encode(), http.StatusSeeOther)
	})
}

// discard moves the .BAD file named exactly name, and its reason, out of
// the queue, and records it; it returns where they went.
func (s *Server) discard(r *http.Request, v *visitor, name string) (string, int, error) {
	a := Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActDiscard, Target: name}
	dir := filepath.Join(s.cfg.Spool.Data, DiscardFolder)
	sp := spool.New(spool.Options{Dir: s.cfg.Spool.Folder, Patterns: s.cfg.Spool.Patterns, Instance: s.cfg.Spool.Instance})
	got, err := sp.Discard(name, dir)
	if err != nil {
		a.Detail = err.Error()
		s.actions.record(a)
		status := http.StatusConflict
		if errors.Is(err, spool.ErrGone) || errors.Is(err, spool.ErrNotBad) {
			status = http.StatusNotFound
		}
		return "", status, err
	}
	into := filepath.Join(dir, got)
	a.OK, a.Detail = true, "moved with its reason to "+into
	s.actions.record(a)
	return into, http.StatusOK, nil
}
