package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/overdue"
)

// The Daily logs page (librarian): the daily log of today as it stands, or
// of a past day, composed as the scheduled job composes it (daily.Gather
// and daily.Compose) and shown as its text, in [log] language: the
// librarian's own log. An admin may send today's now (daily.Queue, as the
// job and spoolgate report --send do; never twice a day). GET /api/report
// is the same report as spoolgate report --json: daily's Summary.
func init() {
	register(page{order: NavDaily, path: "/daily", name: "daily", role: accounts.Librarian,
		label: func(w *words) string { return catalogueWords(dailyCatalogue, langOf(w)).Nav }, load: loadDaily})
	registerPost(post{path: "/daily/send", role: accounts.Admin, handle: sendDaily})
	registerAPI(apiRoute{pattern: "GET /api/report", role: accounts.Librarian, handle: apiReport})
}

// composeBound bounds composing a report: it looks at the relays'
// certificates, each within its own time-out.
const composeBound = 40 * time.Second

// dailyDays is how many past days the page lists.
const dailyDays = 14

// dailyWords are the Daily logs page's texts in one language; the report
// itself is in [log] language, in the daily log's words.
type dailyWords struct {
	Nav, Intro        string
	Day, Show, Past   string
	Today             string
	SendNow, SendNote string
	Sent              string // %[1]s the file, %[2]s the recipients
	SentBefore        string // %s the file
	CannotSend        string // %s why
	BadDate           string // %s what was typed
	Future            string
	NoRecipient       string
	Subject           string
}

var dailyCatalogue = map[string]*dailyWords{
	"en": {
		Nav: "Daily logs", Intro: "The daily log to the librarian, as it stands now for today, or for a past day: the same report spoolgate mails at [log] daily_at.",
		Day: "Day", Show: "Show", Past: "The last 14 days", Today: "today",
		SendNow: "Send today's daily log now", SendNote: "It is queued like any message, to [log] daily_to, and not again at [log] daily_at.",
		Sent: "Queued today's daily log as %s, to %s.", SentBefore: "Today's daily log was queued before, as %s; it is not queued twice.",
		CannotSend: "The daily log cannot be sent: %s", BadDate: "Not a date: %s. Give one like 2026-12-03.", Future: "That day has not come yet.",
		NoRecipient: "No recipient: set daily_to in the [log] section of the config.", Subject: "Subject",
	},
	"sv": {
		Nav: "Dagsloggar", Intro: "Dagsloggen till bibliotekarien, som den ser ut just nu för i dag, eller för en tidigare dag: samma rapport som spoolgate skickar kl. [log] daily_at.",
		Day: "Dag", Show: "Visa", Past: "De senaste 14 dagarna", Today: "i dag",
		SendNow: "Skicka dagens dagslogg nu", SendNote: "Den läggs i kön som vilket meddelande som helst, till [log] daily_to, och skickas inte igen kl. [log] daily_at.",
		Sent: "Dagens dagslogg lades i kön som %s, till %s.", SentBefore: "Dagens dagslogg lades i kön tidigare, som %s; den läggs inte i kön två gånger.",
		CannotSend: "Dagsloggen kan inte skickas: %s", BadDate: "Inget datum: %s. Ange ett som 2026-12-03.", Future: "Den dagen har inte kommit än.",
		NoRecipient: "Ingen mottagare: ange daily_to i avsnittet [log] i konfigurationen.", Subject: "Ämne",
	},
	"nb": {
		Nav: "Dagslogger", Intro: "Dagsloggen til bibliotekaren, slik den ser ut nå for i dag, eller for en tidligere dag: den samme rapporten som spoolgate sender kl. [log] daily_at.",
		Day: "Dag", Show: "Vis", Past: "De siste 14 dagene", Today: "i dag",
		SendNow: "Send dagens dagslogg nå", SendNote: "Den legges i køen som en hvilken som helst melding, til [log] daily_to, og sendes ikke igjen kl. [log] daily_at.",
		Sent: "Dagens dagslogg ble lagt i køen som %s, til %s.", SentBefore: "Dagens dagslogg ble lagt i køen tidligere, som %s; den legges ikke i køen to ganger.",
		CannotSend: "Dagsloggen kan ikke sendes: %s", BadDate: "Ikke en dato: %s. Oppgi en som 2026-12-03.", Future: "Den dagen har ikke kommet ennå.",
		NoRecipient: "Ingen mottaker: sett daily_to i seksjonen [log] i konfigurasjonen.", Subject: "Emne",
	},
	"pl": {
		Nav: "Raporty dzienne", Intro: "Raport dzienny dla bibliotekarza, taki jak teraz za dzisiaj, albo za wcześniejszy dzień: ten sam raport, który spoolgate wysyła o [log] daily_at.",
		Day: "Dzień", Show: "Pokaż", Past: "Ostatnie 14 dni", Today: "dzisiaj",
		SendNow: "Wyślij dzisiejszy raport dzienny teraz", SendNote: "Trafia do kolejki jak każda wiadomość, do [log] daily_to, i nie zostanie wysłany ponownie o [log] daily_at.",
		Sent: "Dzisiejszy raport dzienny dodano do kolejki jako %s, do %s.", SentBefore: "Dzisiejszy raport dzienny był już w kolejce, jako %s; nie jest dodawany dwa razy.",
		CannotSend: "Nie można wysłać raportu dziennego: %s", BadDate: "To nie jest data: %s. Podaj datę taką jak 2026-12-03.", Future: "Ten dzień jeszcze nie nadszedł.",
		NoRecipient: "Brak odbiorcy: ustaw daily_to w sekcji [log] konfiguracji.", Subject: "Temat",
	},
	"cs": {
		Nav: "Denní protokoly", Intro: "Denní protokol pro knihovníka, jak právě teď vypadá za dnešek, nebo za dřívější den: stejný protokol, který spoolgate posílá v [log] daily_at.",
		Day: "Den", Show: "Zobrazit", Past: "Posledních 14 dní", Today: "dnes",
		SendNow: "Odeslat dnešní denní protokol hned", SendNote: "Zařadí se do fronty jako každá zpráva, pro [log] daily_to, a v [log] daily_at se už neodešle znovu.",
		Sent: "Dnešní denní protokol zařazen do fronty jako %s, pro %s.", SentBefore: "Dnešní denní protokol už byl zařazen do fronty, jako %s; dvakrát se nezařazuje.",
		CannotSend: "Denní protokol nelze odeslat: %s", BadDate: "Toto není datum: %s. Zadejte datum jako 2026-12-03.", Future: "Ten den ještě nenastal.",
		NoRecipient: "Žádný příjemce: nastavte daily_to v sekci [log] konfigurace.", Subject: "Předmět",
	},
	"ru": {
		Nav: "Ежедневные отчёты", Intro: "Ежедневный отчёт для библиотекаря, каким он выглядит сейчас за сегодня, или за прошлый день: тот же отчёт, который spoolgate отправляет в [log] daily_at.",
		Day: "День", Show: "Показать", Past: "Последние 14 дней", Today: "сегодня",
		SendNow: "Отправить сегодняшний ежедневный отчёт сейчас", SendNote: "Он ставится в очередь как любое сообщение, для [log] daily_to, и не отправляется повторно в [log] daily_at.",
		Sent: "Сегодняшний ежедневный отчёт поставлен в очередь как %s, для %s.", SentBefore: "Сегодняшний ежедневный отчёт уже был поставлен в очередь, как %s; дважды он не ставится.",
		CannotSend: "Ежедневный отчёт нельзя отправить: %s", BadDate: "Это не дата: %s. Укажите дату вида 2026-12-03.", Future: "Этот день ещё не наступил.",
		NoRecipient: "Нет получателя: задайте daily_to в разделе [log] конфигурации.", Subject: "Тема",
	},
}

// dailyPage is what the Daily logs page shows.
type dailyPage struct {
	T       *dailyWords
	Date    string // the day shown, YYYY-MM-DD
	Today   string
	Days    []dailyDay
	Lang    string // the report's language ([log] language)
	Subject string
	Text    string // the report as the librarian reads it
	Error   string
	Message string // after Send now
	Bad     bool   // Message is an error
}

type dailyDay struct {
	Date, Label string
	Current     bool
}

// composeDaily composes the daily log of day as the scheduled job does: the
// same inputs (daily.Gather with the overdue scans as recorded) from the
// running gateway's journal. The gateway serving the console runs.
func (s *Server) composeDaily(ctx context.Context, day time.Time) (*daily.Report, error) {
	now := s.now().In(s.location())
	in := daily.Gather(s.cfg, s.g.Journal(), day, now, overdue.RecordedSummary, s.log)
	ctx, cancel := context.WithTimeout(ctx, composeBound)
	defer cancel()
	return daily.Compose(ctx, s.cfg, day, in)
}

// reportDay is the day of a date parameter (empty: today), in the
// service's time zone; it refuses a day that has not come yet.
func (s *Server) reportDay(date string, t *dailyWords) (time.Time, string) {
	now := s.now().In(s.location())
	if date == "" {
		return now, ""
	}
	day, err := time.ParseInLocation(time.DateOnly, date, s.location())
	if err != nil {
		return now, fmt.Sprintf(t.BadDate, date)
	}
	if day.Format(time.DateOnly) > now.Format(time.DateOnly) {
		return now, t.Future
	}
	return day, ""
}

func loadDaily(s *Server, r *http.Request, v *visitor) any {
	return s.dailyPage(r, v, r.URL.Query().Get("date"))
}

// dailyPage composes the page of the day date (empty: today).
func (s *Server) dailyPage(r *http.Request, v *visitor, date string) *dailyPage {
	t := catalogueWords(dailyCatalogue, v.lang)
	now := s.now().In(s.location())
	p := &dailyPage{T: t, Today: now.Format(time.DateOnly)}
	day, msg := s.reportDay(date, t)
	if msg != "" {
		p.Error = msg
	}
	p.Date = day.Format(time.DateOnly)
	for i := range dailyDays {
		d := now.AddDate(0, 0, -i).Format(time.DateOnly)
		label := d
		if i == 0 {
			label += " (" + t.Today + ")"
		}
		p.Days = append(p.Days, dailyDay{Date: d, Label: label, Current: d == p.Date})
	}
	if p.Error != "" {
		return p
	}
	rep, err := s.composeDaily(r.Context(), day)
	if err != nil {
		p.Error = fmt.Sprintf(v.w.CannotRead, err.Error())
		return p
	}
	p.Lang, p.Subject, p.Text = rep.Lang, rep.Subject(), rep.Text()
	return p
}

// sendDaily is POST /daily/send: today's daily log, composed and queued
// as the scheduled job does (daily.Queue: once a day, whoever asks).
func sendDaily(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		t := catalogueWords(dailyCatalogue, v.lang)
		act := Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActDailySend}
		var msg string
		bad := true
		rep, err := s.composeDaily(r.Context(), s.now().In(s.location()))
		switch {
		case err != nil:
			msg = fmt.Sprintf(t.CannotSend, err.Error())
		case len(rep.To()) == 0:
			msg = t.NoRecipient
		default:
			name, err := daily.Queue(s.cfg, rep, s.now())
			act.Target = name
			switch {
			case errors.Is(err, daily.ErrQueued):
				msg = fmt.Sprintf(t.SentBefore, name)
			case err != nil:
				msg = fmt.Sprintf(t.CannotSend, err.Error())
			default:
				msg, bad = fmt.Sprintf(t.Sent, name, strings.Join(rep.To(), ", ")), false
				act.OK = true
			}
			if err != nil {
				act.Detail = err.Error()
			}
		}
		if act.Detail == "" {
			act.Detail = msg
		}
		s.actions.record(act)
		p := s.dailyPage(r, v, "")
		p.Message, p.Bad = msg, bad
		status := http.StatusOK
		if bad {
			status = http.StatusConflict
		}
		s.render(w, r, v, status, "daily", t.Nav, p)
	})
}

// apiReport is GET /api/report?date=YYYY-MM-DD (default today): the
// daily log's facts, the document of spoolgate report --json
// (daily.Summary).
func apiReport(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		date := r.URL.Query().Get("date")
		day, msg := s.reportDay(date, dailyCatalogue["en"])
		if msg != "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
			return
		}
		rep, err := s.composeDaily(r.Context(), day)
		if err != nil {
			s.log.Error("cannot compose the daily log", "day", day.Format(time.DateOnly), "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, rep.Summary())
	})
}
