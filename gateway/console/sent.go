package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/views"
)

// The Sent page (librarian): "did it go out?". A search of the journal
// (journal.Search) by patron address, file, subject, dates, status and
// cause, one row per recipient, newest first, sentPageSize a page with a
// link to the next (the journal's cursor). Each row links to its
// message's page, /sent/KEY (message.go), which the same route serves:
// the navigation lists one Sent page.
func init() {
	register(page{order: NavSent, path: "/sent/", name: "sent", role: accounts.Librarian,
		label: func(w *words) string { return sentWordsOf(langOf(w)).Nav }, load: loadSent})
}

// sentPageSize is how many rows a page of the Sent page shows.
const sentPageSize = 50

// sentWords are the Sent and message pages' texts in one language.
type sentWords struct {
	Nav, Intro                                 string
	To, File, Subject, Since, Until, Status    string
	Cause, Any, Search, Clear                  string
	ColTime, ColStatus, ColAddr, ColFile       string
	ColSubject, ColCause, ColReply, ColQueueID string
	NoRows, Next, First                        string
	BadDate                                    string // %s what was typed
	BadCursor                                  string
	Statuses                                   map[string]string // by journal.Status
	Events                                     map[string]string // by journal.Event.What
	HRecipients, HHistory                      string
	ColWhat, ColServer, ColDetail, ColToDo     string
	MessageID, From, Size, Attempts, Key, Back string
	NoSuchMessage                              string
	NoRecipient                                string // a row of a message refused before it was sent
}

var sentCatalogue = map[string]*sentWords{
	"en": {
		Nav: "Sent", Intro: "Did it go out? Search what spoolgate sent, by patron address, file, subject, dates, status or reason: one row per recipient, newest first.",
		To: "Patron address (or part of it)", File: "File", Subject: "Subject words", Since: "From", Until: "To", Status: "Status",
		Cause: "Reason", Any: "any", Search: "Search", Clear: "Clear",
		ColTime: "When", ColStatus: "Status", ColAddr: "Address", ColFile: "File",
		ColSubject: "Subject", ColCause: "Reason", ColReply: "Reply", ColQueueID: "Queue id",
		NoRows: "Nothing found.", Next: "Next page (older)", First: "Back to the newest",
		BadDate: "Not a date: %s. Give one like 2026-12-03.", BadCursor: "That page link is not valid any more: showing the newest.",
		Statuses: map[string]string{"bounced": "bounced", "delivered": "delivered", "delayed": "delivery delayed", "sent": "sent", "partly-sent": "partly sent", "deferred": "waiting for a retry", "failed": "failed",
			"skipped": "had it already", "queued": "being sent", "attempted": "sent, no answer"},
		Events: map[string]string{"claimed": "taken from the queue", "attempt": "attempt", "sent": "sent", "deferred": "deferred",
			"failed": "failed", "skipped": "skipped (had it already)", "retried": "put back in the queue"},
		HRecipients: "Recipients", HHistory: "History",
		ColWhat: "What", ColServer: "Server", ColDetail: "Detail", ColToDo: "What to do",
		MessageID: "Message-ID", From: "From", Size: "Size", Attempts: "Attempts", Key: "Queue key", Back: "Back to the search",
		NoSuchMessage: "The journal has no message %s.", NoRecipient: "(no recipient)",
	},
	"sv": {
		Nav: "Skickat", Intro: "Gick det iväg? Sök i det spoolgate har skickat, på låntagarens adress, fil, ämne, datum, status eller orsak: en rad per mottagare, nyast först.",
		To: "Låntagarens adress (eller del av den)", File: "Fil", Subject: "Ord i ämnet", Since: "Från", Until: "Till", Status: "Status",
		Cause: "Orsak", Any: "alla", Search: "Sök", Clear: "Rensa",
		ColTime: "När", ColStatus: "Status", ColAddr: "Adress", ColFile: "Fil",
		ColSubject: "Ämne", ColCause: "Orsak", ColReply: "Svar", ColQueueID: "Kö-id",
		NoRows: "Inget hittades.", Next: "Nästa sida (äldre)", First: "Tillbaka till de nyaste",
		BadDate: "Inget datum: %s. Ange ett som 2026-12-03.", BadCursor: "Sidlänken gäller inte längre: de nyaste visas.",
		Statuses: map[string]string{"bounced": "studsade", "delivered": "levererat", "delayed": "leverans försenad", "sent": "skickat", "partly-sent": "delvis skickat", "deferred": "väntar på nytt försök", "failed": "misslyckat",
			"skipped": "hade det redan", "queued": "skickas", "attempted": "skickat, inget svar"},
		Events: map[string]string{"claimed": "hämtat ur kön", "attempt": "försök", "sent": "skickat", "deferred": "uppskjutet",
			"failed": "misslyckat", "skipped": "hoppades över (hade det redan)", "retried": "lagt i kön igen"},
		HRecipients: "Mottagare", HHistory: "Historik",
		ColWhat: "Vad", ColServer: "Server", ColDetail: "Detaljer", ColToDo: "Åtgärd",
		MessageID: "Message-ID", From: "Från", Size: "Storlek", Attempts: "Försök", Key: "Kö-nyckel", Back: "Tillbaka till sökningen",
		NoSuchMessage: "Journalen har inget meddelande %s.", NoRecipient: "(ingen mottagare)",
	},
	"nb": {
		Nav: "Sendt", Intro: "Gikk den ut? Søk i det spoolgate har sendt, etter lånerens adresse, fil, emne, datoer, status eller årsak: én rad per mottaker, nyeste først.",
		To: "Lånerens adresse (eller del av den)", File: "Fil", Subject: "Ord i emnet", Since: "Fra", Until: "Til", Status: "Status",
		Cause: "Årsak", Any: "alle", Search: "Søk", Clear: "Tøm",
		ColTime: "Når", ColStatus: "Status", ColAddr: "Adresse", ColFile: "Fil",
		ColSubject: "Emne", ColCause: "Årsak", ColReply: "Svar", ColQueueID: "Kø-id",
		NoRows: "Ingenting funnet.", Next: "Neste side (eldre)", First: "Tilbake til de nyeste",
		BadDate: "Ikke en dato: %s. Oppgi en som 2026-12-03.", BadCursor: "Sidelenken gjelder ikke lenger: de nyeste vises.",
		Statuses: map[string]string{"bounced": "returnert", "delivered": "levert", "delayed": "levering forsinket", "sent": "sendt", "partly-sent": "delvis sendt", "deferred": "venter på nytt forsøk", "failed": "mislyktes",
			"skipped": "hadde den allerede", "queued": "sendes", "attempted": "sendt, uten svar"},
		Events: map[string]string{"claimed": "hentet fra køen", "attempt": "forsøk", "sent": "sendt", "deferred": "utsatt",
			"failed": "mislyktes", "skipped": "hoppet over (hadde den allerede)", "retried": "lagt tilbake i køen"},
		HRecipients: "Mottakere", HHistory: "Historikk",
		ColWhat: "Hva", ColServer: "Server", ColDetail: "Detaljer", ColToDo: "Hva du gjør",
		MessageID: "Message-ID", From: "Fra", Size: "Størrelse", Attempts: "Forsøk", Key: "Kønøkkel", Back: "Tilbake til søket",
		NoSuchMessage: "Journalen har ingen melding %s.", NoRecipient: "(ingen mottaker)",
	},
	"pl": {
		Nav: "Wysłane", Intro: "Czy wyszło? Szukaj w tym, co spoolgate wysłał, po adresie czytelnika, pliku, temacie, datach, statusie lub przyczynie: jeden wiersz na odbiorcę, najnowsze najpierw.",
		To: "Adres czytelnika (lub jego część)", File: "Plik", Subject: "Słowa tematu", Since: "Od", Until: "Do", Status: "Status",
		Cause: "Przyczyna", Any: "dowolny", Search: "Szukaj", Clear: "Wyczyść",
		ColTime: "Kiedy", ColStatus: "Status", ColAddr: "Adres", ColFile: "Plik",
		ColSubject: "Temat", ColCause: "Przyczyna", ColReply: "Odpowiedź", ColQueueID: "Id w kolejce",
		NoRows: "Nic nie znaleziono.", Next: "Następna strona (starsze)", First: "Wróć do najnowszych",
		BadDate: "To nie jest data: %s. Podaj np. 2026-12-03.", BadCursor: "Ten link do strony jest już nieważny: pokazano najnowsze.",
		Statuses: map[string]string{"bounced": "odbite", "delivered": "dostarczono", "delayed": "dostarczenie opóźnione", "sent": "wysłano", "partly-sent": "wysłano częściowo", "deferred": "czeka na ponowną próbę", "failed": "nieudane",
			"skipped": "już to miał", "queued": "wysyłane", "attempted": "wysłano, brak odpowiedzi"},
		Events: map[string]string{"claimed": "pobrano z kolejki", "attempt": "próba", "sent": "wysłano", "deferred": "odłożono",
			"failed": "nieudane", "skipped": "pominięto (już to miał)", "retried": "przywrócono do kolejki"},
		HRecipients: "Odbiorcy", HHistory: "Historia",
		ColWhat: "Co", ColServer: "Serwer", ColDetail: "Szczegóły", ColToDo: "Co zrobić",
		MessageID: "Message-ID", From: "Od", Size: "Rozmiar", Attempts: "Próby", Key: "Klucz kolejki", Back: "Wróć do wyszukiwania",
		NoSuchMessage: "Dziennik nie zawiera wiadomości %s.", NoRecipient: "(brak odbiorcy)",
	},
	"cs": {
		Nav: "Odesláno", Intro: "Odešlo to? Hledejte v tom, co spoolgate odeslal, podle adresy čtenáře, souboru, předmětu, data, stavu nebo příčiny: jeden řádek na příjemce, nejnovější první.",
		To: "Adresa čtenáře (nebo její část)", File: "Soubor", Subject: "Slova předmětu", Since: "Od", Until: "Do", Status: "Stav",
		Cause: "Příčina", Any: "jakýkoli", Search: "Hledat", Clear: "Vymazat",
		ColTime: "Kdy", ColStatus: "Stav", ColAddr: "Adresa", ColFile: "Soubor",
		ColSubject: "Předmět", ColCause: "Příčina", ColReply: "Odpověď", ColQueueID: "Id ve frontě",
		NoRows: "Nic nenalezeno.", Next: "Další stránka (starší)", First: "Zpět na nejnovější",
		BadDate: "Není datum: %s. Zadejte např. 2026-12-03.", BadCursor: "Odkaz na stránku už neplatí: zobrazeny nejnovější.",
		Statuses: map[string]string{"bounced": "vráceno", "delivered": "doručeno", "delayed": "doručení zpožděno", "sent": "odesláno", "partly-sent": "odesláno částečně", "deferred": "čeká na další pokus", "failed": "selhalo",
			"skipped": "už to měl", "queued": "odesílá se", "attempted": "odesláno, bez odpovědi"},
		Events: map[string]string{"claimed": "vzato z fronty", "attempt": "pokus", "sent": "odesláno", "deferred": "odloženo",
			"failed": "selhalo", "skipped": "přeskočeno (už to měl)", "retried": "vráceno do fronty"},
		HRecipients: "Příjemci", HHistory: "Historie",
		ColWhat: "Co", ColServer: "Server", ColDetail: "Podrobnosti", ColToDo: "Co dělat",
		MessageID: "Message-ID", From: "Od", Size: "Velikost", Attempts: "Pokusy", Key: "Klíč fronty", Back: "Zpět na hledání",
		NoSuchMessage: "Deník nemá zprávu %s.", NoRecipient: "(žádný příjemce)",
	},
	"ru": {
		Nav: "Отправленные", Intro: "Ушло ли письмо? Поиск по отправленному spoolgate: по адресу читателя, файлу, теме, датам, статусу или причине; одна строка на получателя, новые сверху.",
		To: "Адрес читателя (или его часть)", File: "Файл", Subject: "Слова темы", Since: "С", Until: "По", Status: "Статус",
		Cause: "Причина", Any: "любой", Search: "Искать", Clear: "Сбросить",
		ColTime: "Когда", ColStatus: "Статус", ColAddr: "Адрес", ColFile: "Файл",
		ColSubject: "Тема", ColCause: "Причина", ColReply: "Ответ", ColQueueID: "Id в очереди",
		NoRows: "Ничего не найдено.", Next: "Следующая страница (старше)", First: "К самым новым",
		BadDate: "Это не дата: %s. Укажите, например, 2026-12-03.", BadCursor: "Ссылка на страницу устарела: показаны самые новые.",
		Statuses: map[string]string{"bounced": "возвращено", "delivered": "доставлено", "delayed": "доставка задерживается", "sent": "отправлено", "partly-sent": "отправлено частично", "deferred": "ждёт повторной попытки", "failed": "не удалось",
			"skipped": "уже получал", "queued": "отправляется", "attempted": "отправлено, нет ответа"},
		Events: map[string]string{"claimed": "взято из очереди", "attempt": "попытка", "sent": "отправлено", "deferred": "отложено",
			"failed": "не удалось", "skipped": "пропущено (уже получал)", "retried": "возвращено в очередь"},
		HRecipients: "Получатели", HHistory: "История",
		ColWhat: "Что", ColServer: "Сервер", ColDetail: "Подробности", ColToDo: "Что делать",
		MessageID: "Message-ID", From: "От", Size: "Размер", Attempts: "Попытки", Key: "Ключ очереди", Back: "Назад к поиску",
		NoSuchMessage: "В журнале нет сообщения %s.", NoRecipient: "(нет получателя)",
	},
}

// sentWordsOf is the Sent page's words in lang, English if it has none.
func sentWordsOf(lang string) *sentWords { return catalogueWords(sentCatalogue, lang) }

// sentStatuses are the statuses the search offers, in this order.
var sentStatuses = []journal.Status{journal.StatusSent, journal.StatusBounced, journal.StatusDelivered, journal.StatusDelayed,
	journal.StatusPartlySent, journal.StatusFailed, journal.StatusDeferred, journal.StatusSkipped, journal.StatusQueued,
	journal.StatusAttempted}

// sentView is what the Sent page shows: the search, or (Message) one
// message.
type sentView struct {
	T       *sentWords
	Message *messageView // the page of one message, at /sent/KEY

	To, File, Subject, Since, Until string // the form as typed
	Statuses, Causes                []option
	Err                             string
	Rows                            []sentRowView
	Next, First                     string // links
}

type option struct {
	Value, Label string
	Selected     bool
}

type sentRowView struct {
	When, Status, Class, Address, File  string
	Subject, Cause, Reply, QueueID, Key string
}

// loadSent is the Sent page: the search, or a message's page.
func loadSent(s *Server, r *http.Request, v *visitor) any {
	t := sentWordsOf(v.lang)
	if key := strings.TrimPrefix(r.URL.Path, "/sent/"); key != "" {
		return &sentView{T: t, Message: s.loadMessage(key, v)}
	}
	q := r.URL.Query()
	sv := &sentView{T: t, To: strings.TrimSpace(q.Get("to")), File: strings.TrimSpace(q.Get("file")),
		Subject: strings.TrimSpace(q.Get("subject")), Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until"))}
	status, c := q.Get("status"), q.Get("cause")
	sv.Statuses = append(sv.Statuses, option{Value: "", Label: t.Any, Selected: status == ""})
	for _, st := range sentStatuses {
		sv.Statuses = append(sv.Statuses, option{Value: string(st), Label: t.Statuses[string(st)], Selected: string(st) == status})
	}
	sv.Causes = append(sv.Causes, option{Value: "", Label: t.Any, Selected: c == ""})
	for _, k := range cause.All() {
		sv.Causes = append(sv.Causes, option{Value: string(k), Label: cause.Label(v.lang, k), Selected: string(k) == c})
	}

	search, err := s.searchOf(q, sentPageSize)
	if err != nil {
		var bd badDateError
		if errors.As(err, &bd) {
			sv.Err = fmt.Sprintf(t.BadDate, string(bd))
		} else if errors.Is(err, journal.ErrBadCursor) {
			sv.Err = t.BadCursor
		} else {
			sv.Err = fmt.Sprintf(v.w.CannotRead, err.Error())
		}
		if sv.Err != t.BadCursor {
			return sv
		}
		search.Before = nil
	}
	rows, next, err := s.g.Journal().Search(search)
	if err != nil {
		sv.Err = fmt.Sprintf(v.w.CannotRead, err.Error())
		return sv
	}
	for _, row := range views.SentPageOf(rows, nil).Rows {
		rv := sentRowView{When: s.stamp(row.Time), Status: t.Statuses[row.Status], Class: statusClass(row.Status),
			Address: row.Address, File: row.File, Subject: row.Subject, Reply: row.Reply, QueueID: row.QueueID, Key: row.QueueKey}
		if rv.Status == "" {
			rv.Status = row.Status
		}
		if rv.Address == "" {
			rv.Address = t.NoRecipient
		}
		if row.Cause != "" {
			rv.Cause = cause.Label(v.lang, cause.Cause(row.Cause))
		}
		sv.Rows = append(sv.Rows, rv)
	}
	if next != nil {
		nq := url.Values{}
		for k, vs := range q {
			if k != "before" {
				nq[k] = vs
			}
		}
		nq.Set("before", next.String())
		sv.Next = "/sent/?" + nq.Encode()
	}
	if q.Get("before") != "" {
		fq := url.Values{}
		for k, vs := range q {
			if k != "before" {
				fq[k] = vs
			}
		}
		sv.First = "/sent/?" + fq.Encode()
	}
	return sv
}

// badDateError is a date that is not one, as typed.
type badDateError string

func (e badDateError) Error() string { return "not a date: " + string(e) }

// searchOf is the journal search the query q asks for (the Sent page's
// form, and /api/sent's parameters): to, file, subject, status, cause;
// since and until as dates (YYYY-MM-DD, in the service's time zone; until
// takes in its whole day) or RFC 3339 times; before, a cursor; limit (at
// most limit, which is also the default).
func (s *Server) searchOf(q url.Values, limit int) (journal.Search, error) {
	out := journal.Search{To: strings.TrimSpace(q.Get("to")), File: strings.TrimSpace(q.Get("file")),
		Subject: strings.TrimSpace(q.Get("subject")), Status: journal.Status(strings.TrimSpace(q.Get("status"))),
		Cause: strings.TrimSpace(q.Get("cause")), Limit: limit}
	var err error
	if out.Since, err = s.dateOf(q.Get("since"), false); err != nil {
		return out, err
	}
	if out.Until, err = s.dateOf(q.Get("until"), true); err != nil {
		return out, err
	}
	if b := q.Get("before"); b != "" {
		c, err := journal.ParseCursor(b)
		if err != nil {
			return out, err
		}
		out.Before = c
	}
	return out, nil
}

// dateOf reads a date (the start of that day in the service's time zone,
// or with end the start of the day after) or an RFC 3339 time; "" is the
// zero time.
func (s *Server) dateOf(text string, end bool) (time.Time, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", text, s.location())
	if err != nil {
		return time.Time{}, badDateError(text)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// statusClass is the style class of a status: ok, bad or none.
func statusClass(st string) string {
	switch journal.Status(st) {
	case journal.StatusSent, journal.StatusSkipped, journal.StatusDelivered:
		return "ok"
	case journal.StatusFailed, journal.StatusPartlySent, journal.StatusBounced:
		return "bad"
	}
	return "unknown"
}
