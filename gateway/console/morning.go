package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/gateway/overdue"
)

// The Morning scan page (librarian): what the last overdue scan did, as
// its state database recorded it (overdue.LastRun, overdue.Recorded): the
// notices by kind and the patrons to print or phone. An admin may make a
// dry run for a date (overdue.Scan with DryRun, as spoolgate overdue
// --dry-run): the notices it would write, with nothing written.
func init() {
	register(page{order: NavMorning, path: "/morning", name: "morning", role: accounts.Librarian,
		label: func(w *words) string { return catalogueWords(morningCatalogue, langOf(w)).Nav }, load: loadMorning})
	registerPost(post{path: "/morning/dry-run", role: accounts.Admin, handle: dryRunMorning})
	registerPost(post{path: "/morning/run", role: accounts.Admin, handle: runMorning})
	registerActionLabel(ActMorningRun, map[string]string{"en": "morning scan run now", "sv": "förseningskontrollen körd nu",
		"nb": "forfallskontrollen kjørt nå", "pl": "kontrola terminów uruchomiona teraz", "cs": "kontrola výpůjček spuštěna hned",
		"ru": "проверка сроков запущена сейчас"})
}

// dryRunBound bounds a dry run from the console: shorter than the
// server's write time-out.
const dryRunBound = 45 * time.Second

// morningWords are the Morning scan page's texts in one language; the
// names of the kinds, the reasons and the headings are the daily log's.
type morningWords struct {
	Nav, Intro               string
	HLast                    string // %s the day
	NoScan, Off              string
	LoansErr                 string // %s why (the daily log's)
	HCounts                  string
	ColKind, ColQueued       string
	ColItems, ColPrint       string
	ColDropped, Total        string
	PrintHead                string // %d how many (the daily log's)
	NoPrint                  string
	ColPatron, ColTitles     string
	ColReason, ColTo         string
	ColFile, Due             string // Due: %s a date (the daily log's)
	HDropped                 string // %d how many
	Kinds                    map[string]string
	Reasons                  map[string]string // by overdue.Reason*
	Date, DryButton, DryNote string
	HDry                     string // %s the day
	HWould                   string // %d how many
	NoneWould                string
	NoLoans, CannotRun       string // CannotRun: %s why
	BadDate                  string // %s what was typed
	// RunButton runs today's scan now (admin), as the scheduled job
	// does; Ran says what it did (%d queued, %d to print or phone).
	RunButton, RunNote, Ran string
}

// ActMorningRun is today's morning scan run now from the console.
const ActMorningRun = "morning-run"

// runMorning is POST /morning/run: today's scan now, as the scheduled job
// runs it (notices queued, the scan recorded; a notice already queued
// for a loan is not queued again, so running it twice sends nothing
// twice).
func runMorning(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		t := catalogueWords(morningCatalogue, v.lang)
		day := s.now().In(s.location())
		p := s.morningPage(v, "")
		act := Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActMorningRun, Target: day.Format(time.DateOnly)}
		switch {
		case !s.cfg.Overdue.Enabled || s.cfg.Overdue.Loans == "":
			p.RunErr = t.Off
		default:
			set, err := overdue.Check(s.cfg)
			if err != nil {
				p.RunErr = fmt.Sprintf(t.CannotRun, err.Error())
				break
			}
			ctx, cancel := context.WithTimeout(r.Context(), dryRunBound)
			defer cancel()
			res, err := overdue.Scan(ctx, s.cfg, day, overdue.Options{Journal: s.g.Journal(), Notices: set, Log: s.log, Now: s.now})
			if err == nil {
				err = res.LoansError
			}
			if err != nil {
				p.RunErr = fmt.Sprintf(t.CannotRun, err.Error())
				break
			}
			ran := fmt.Sprintf(t.Ran, len(res.Queued), len(res.Skipped))
			act.OK, act.Detail = true, ran
			s.g.Wake()
			p = s.morningPage(v, "") // the scan just recorded is now the last
			p.Ran = ran
		}
		s.answerMorning(w, r, v, act, p.RunErr, t.Nav, p)
	})
}

var morningCatalogue = map[string]*morningWords{
	"en": {
		RunButton: "Run today's scan now", RunNote: "Runs today's scan now, as the scheduled one does: its notices are queued and sent; a notice already queued for a loan is not queued again.", Ran: "Today's scan ran: %d notices queued, %d to print or phone.",
		Nav: "Morning scan", Intro: "The morning overdue scan reads the loans export and queues notices to patrons; those who get no e-mail are to print or phone.",
		HLast: "The last scan: %s", NoScan: "No morning scan has run yet.", Off: "The morning scan is off ([overdue] enabled = false).",
		LoansErr: "The overdue scan could not read the loans export: %s", HCounts: "Notices by kind",
		ColKind: "Kind", ColQueued: "Queued", ColItems: "Items", ColPrint: "To print or phone", ColDropped: "Not sent (too late)", Total: "Total",
		PrintHead: "To print or phone, as these patrons get no e-mail (%d):", NoPrint: "Nobody to print or phone.",
		ColPatron: "Patron", ColTitles: "Items", ColReason: "Reason", ColTo: "To", ColFile: "File", Due: "due %s",
		HDropped: "Not sent because they came too late (%d):",
		Kinds:    map[string]string{"warning": "Due-soon notices", "overdue": "Overdue notices", "reminder": "Reminders"},
		Reasons:  map[string]string{overdue.ReasonNoAddress: "no e-mail address", overdue.ReasonNotifyOff: "e-mail notices turned off"},
		Date:     "Date", DryButton: "Dry run", DryNote: "A dry run shows the notices a scan for that date would write; nothing is queued or recorded.",
		HDry: "Dry run for %s: nothing was queued or recorded", HWould: "Would queue (%d):", NoneWould: "It would queue no notices.",
		NoLoans: "[overdue] loans is not set: name the loans export the library system writes.", CannotRun: "The dry run cannot run: %s",
		BadDate: "Not a date: %s. Give one like 2026-12-03.",
	},
	"sv": {
		RunButton: "Kör dagens kontroll nu", RunNote: "Kör dagens kontroll nu, som den schemalagda gör: meddelandena köas och skickas; ett meddelande som redan köats för ett lån köas inte igen.", Ran: "Dagens kontroll kördes: %d meddelanden köade, %d att skriva ut eller ringa.",
		Nav: "Förseningskontroll", Intro: "Morgonens förseningskontroll läser lånefilen och lägger meddelanden till låntagare i kön; de som inte får e-post ska få brev eller ett samtal.",
		HLast: "Senaste kontrollen: %s", NoScan: "Ingen förseningskontroll har körts än.", Off: "Förseningskontrollen är avstängd ([overdue] enabled = false).",
		LoansErr: "Förseningskontrollen kunde inte läsa lånefilen: %s", HCounts: "Meddelanden per slag",
		ColKind: "Slag", ColQueued: "I kön", ColItems: "Exemplar", ColPrint: "Att skriva ut eller ringa", ColDropped: "Inte skickade (för sent)", Total: "Totalt",
		PrintHead: "Att skriva ut eller ringa, eftersom de här låntagarna inte får e-post (%d):", NoPrint: "Ingen att skriva ut eller ringa.",
		ColPatron: "Låntagare", ColTitles: "Exemplar", ColReason: "Orsak", ColTo: "Till", ColFile: "Fil", Due: "förfallodag %s",
		HDropped: "Inte skickade eftersom de kom för sent (%d):",
		Kinds:    map[string]string{"warning": "Förvarningar", "overdue": "Förseningsmeddelanden", "reminder": "Påminnelser"},
		Reasons:  map[string]string{overdue.ReasonNoAddress: "ingen e-postadress", overdue.ReasonNotifyOff: "har valt bort e-postmeddelanden"},
		Date:     "Datum", DryButton: "Provkör", DryNote: "En provkörning visar vilka meddelanden en kontroll för datumet skulle skriva; inget läggs i kön eller registreras.",
		HDry: "Provkörning för %s: inget lades i kön eller registrerades", HWould: "Skulle läggas i kön (%d):", NoneWould: "Inga meddelanden skulle läggas i kön.",
		NoLoans: "[overdue] loans är inte angiven: ange lånefilen som bibliotekssystemet skriver.", CannotRun: "Provkörningen kan inte köras: %s",
		BadDate: "Inget datum: %s. Ange ett som 2026-12-03.",
	},
	"nb": {
		RunButton: "Kjør dagens kontroll nå", RunNote: "Kjører dagens kontroll nå, slik den planlagte gjør: varslene settes i kø og sendes; et varsel som allerede er satt i kø for et lån, settes ikke i kø igjen.", Ran: "Dagens kontroll ble kjørt: %d varsler i kø, %d å skrive ut eller ringe.",
		Nav: "Forfallskontroll", Intro: "Morgenens forfallskontroll leser lånefilen og legger varsler til lånere i køen; de som ikke får e-post, skal få brev eller en telefon.",
		HLast: "Siste kontroll: %s", NoScan: "Ingen forfallskontroll er kjørt ennå.", Off: "Forfallskontrollen er slått av ([overdue] enabled = false).",
		LoansErr: "Forfallskontrollen kunne ikke lese lånefilen: %s", HCounts: "Varsler etter type",
		ColKind: "Type", ColQueued: "I køen", ColItems: "Eksemplarer", ColPrint: "Til utskrift eller telefon", ColDropped: "Ikke sendt (for sent)", Total: "Totalt",
		PrintHead: "Til utskrift eller telefon, fordi disse lånerne ikke får e-post (%d):", NoPrint: "Ingen til utskrift eller telefon.",
		ColPatron: "Låner", ColTitles: "Eksemplarer", ColReason: "Årsak", ColTo: "Til", ColFile: "Fil", Due: "forfall %s",
		HDropped: "Ikke sendt fordi de kom for sent (%d):",
		Kinds:    map[string]string{"warning": "Forhåndsvarsler", "overdue": "Forsinkelsesvarsler", "reminder": "Purringer"},
		Reasons:  map[string]string{overdue.ReasonNoAddress: "ingen e-postadresse", overdue.ReasonNotifyOff: "har reservert seg mot e-postvarsler"},
		Date:     "Dato", DryButton: "Prøvekjør", DryNote: "En prøvekjøring viser hvilke varsler en kontroll for datoen ville skrive; ingenting legges i køen eller registreres.",
		HDry: "Prøvekjøring for %s: ingenting ble lagt i køen eller registrert", HWould: "Ville blitt lagt i køen (%d):", NoneWould: "Ingen varsler ville blitt lagt i køen.",
		NoLoans: "[overdue] loans er ikke satt: oppgi lånefilen som biblioteksystemet skriver.", CannotRun: "Prøvekjøringen kan ikke kjøres: %s",
		BadDate: "Ikke en dato: %s. Oppgi en som 2026-12-03.",
	},
	"pl": {
		RunButton: "Uruchom dzisiejszą kontrolę teraz", RunNote: "Uruchamia dzisiejszą kontrolę teraz, tak jak zaplanowana: powiadomienia trafiają do kolejki i są wysyłane; powiadomienie już zakolejkowane dla wypożyczenia nie jest kolejkowane ponownie.", Ran: "Dzisiejsza kontrola wykonana: %d powiadomień w kolejce, %d do wydrukowania lub telefonu.",
		Nav: "Kontrola terminów", Intro: "Poranna kontrola terminów czyta eksport wypożyczeń i dodaje do kolejki powiadomienia dla czytelników; ci, którzy nie dostają e-maili, są do wydruku lub telefonu.",
		HLast: "Ostatnia kontrola: %s", NoScan: "Kontrola terminów jeszcze się nie odbyła.", Off: "Kontrola terminów jest wyłączona ([overdue] enabled = false).",
		LoansErr: "Kontrola terminów nie mogła odczytać eksportu wypożyczeń: %s", HCounts: "Powiadomienia według rodzaju",
		ColKind: "Rodzaj", ColQueued: "W kolejce", ColItems: "Egzemplarze", ColPrint: "Do wydruku lub telefonu", ColDropped: "Niewysłane (za późno)", Total: "Razem",
		PrintHead: "Do wydruku lub telefonu, bo ci czytelnicy nie dostają e-maili (%d):", NoPrint: "Nikogo do wydruku ani telefonu.",
		ColPatron: "Czytelnik", ColTitles: "Egzemplarze", ColReason: "Przyczyna", ColTo: "Do", ColFile: "Plik", Due: "termin zwrotu %s",
		HDropped: "Niewysłane, bo były za późno (%d):",
		Kinds:    map[string]string{"warning": "Powiadomienia przed terminem", "overdue": "Powiadomienia o przekroczeniu terminu", "reminder": "Ponowne przypomnienia"},
		Reasons:  map[string]string{overdue.ReasonNoAddress: "brak adresu e-mail", overdue.ReasonNotifyOff: "powiadomienia e-mail wyłączone"},
		Date:     "Data", DryButton: "Uruchom próbnie", DryNote: "Próbne uruchomienie pokazuje powiadomienia, które kontrola na ten dzień by napisała; nic nie trafia do kolejki ani nie jest zapisywane.",
		HDry: "Próbne uruchomienie na %s: nic nie dodano do kolejki ani nie zapisano", HWould: "Trafiłyby do kolejki (%d):", NoneWould: "Żadne powiadomienie nie trafiłoby do kolejki.",
		NoLoans: "[overdue] loans nie jest ustawione: wskaż eksport wypożyczeń zapisywany przez system biblioteczny.", CannotRun: "Nie można uruchomić próbnie: %s",
		BadDate: "To nie jest data: %s. Podaj datę taką jak 2026-12-03.",
	},
	"cs": {
		RunButton: "Spustit dnešní kontrolu hned", RunNote: "Spustí dnešní kontrolu hned, stejně jako plánovaná: upozornění se zařadí do fronty a odešlou; upozornění již zařazené pro výpůjčku se znovu nezařadí.", Ran: "Dnešní kontrola proběhla: %d upozornění ve frontě, %d k vytištění nebo zavolání.",
		Nav: "Kontrola výpůjček", Intro: "Ranní kontrola výpůjček čte export výpůjček a zařazuje do fronty upozornění pro čtenáře; ti, kdo nedostávají e-maily, jsou k tisku nebo k telefonátu.",
		HLast: "Poslední kontrola: %s", NoScan: "Kontrola výpůjček zatím neproběhla.", Off: "Kontrola výpůjček je vypnutá ([overdue] enabled = false).",
		LoansErr: "Kontrola výpůjček nemohla přečíst export výpůjček: %s", HCounts: "Upozornění podle druhu",
		ColKind: "Druh", ColQueued: "Ve frontě", ColItems: "Exempláře", ColPrint: "K tisku nebo k telefonátu", ColDropped: "Neodeslané (pozdě)", Total: "Celkem",
		PrintHead: "K tisku nebo k telefonátu, protože tito čtenáři nedostávají e-maily (%d):", NoPrint: "Nikdo k tisku ani k telefonátu.",
		ColPatron: "Čtenář", ColTitles: "Exempláře", ColReason: "Příčina", ColTo: "Komu", ColFile: "Soubor", Due: "vrátit do %s",
		HDropped: "Neodeslaná, protože přišla příliš pozdě (%d):",
		Kinds:    map[string]string{"warning": "Upozornění před koncem lhůty", "overdue": "Upozornění na uplynulou lhůtu", "reminder": "Opakovaná upozornění"},
		Reasons:  map[string]string{overdue.ReasonNoAddress: "chybí e-mailová adresa", overdue.ReasonNotifyOff: "e-mailová upozornění vypnuta"},
		Date:     "Datum", DryButton: "Zkušební běh", DryNote: "Zkušební běh ukáže upozornění, která by kontrola pro dané datum napsala; nic se nezařadí do fronty ani nezaznamená.",
		HDry: "Zkušební běh pro %s: nic nebylo zařazeno do fronty ani zaznamenáno", HWould: "Zařadilo by se do fronty (%d):", NoneWould: "Do fronty by se nezařadilo žádné upozornění.",
		NoLoans: "[overdue] loans není nastaveno: uveďte export výpůjček, který knihovní systém zapisuje.", CannotRun: "Zkušební běh nelze spustit: %s",
		BadDate: "Toto není datum: %s. Zadejte datum jako 2026-12-03.",
	},
	"ru": {
		RunButton: "Запустить сегодняшнюю проверку сейчас", RunNote: "Запускает сегодняшнюю проверку сейчас, как по расписанию: уведомления ставятся в очередь и отправляются; уведомление, уже поставленное в очередь для выдачи, повторно не ставится.", Ran: "Сегодняшняя проверка выполнена: %d уведомлений в очереди, %d распечатать или позвонить.",
		Nav: "Проверка сроков", Intro: "Утренняя проверка сроков читает выгрузку выдач и ставит в очередь уведомления читателям; тех, кто не получает e-mail, нужно известить письмом или звонком.",
		HLast: "Последняя проверка: %s", NoScan: "Проверка сроков ещё не запускалась.", Off: "Проверка сроков выключена ([overdue] enabled = false).",
		LoansErr: "Проверка сроков не смогла прочитать выгрузку выдач: %s", HCounts: "Уведомления по видам",
		ColKind: "Вид", ColQueued: "В очереди", ColItems: "Экземпляры", ColPrint: "Распечатать или позвонить", ColDropped: "Не отправлены (поздно)", Total: "Всего",
		PrintHead: "Распечатать или позвонить, так как эти читатели не получают e-mail (%d):", NoPrint: "Некого извещать письмом или звонком.",
		ColPatron: "Читатель", ColTitles: "Экземпляры", ColReason: "Причина", ColTo: "Кому", ColFile: "Файл", Due: "срок возврата %s",
		HDropped: "Не отправлены, так как опоздали (%d):",
		Kinds:    map[string]string{"warning": "Предварительные уведомления", "overdue": "Уведомления о просрочке", "reminder": "Повторные напоминания"},
		Reasons:  map[string]string{overdue.ReasonNoAddress: "нет адреса e-mail", overdue.ReasonNotifyOff: "уведомления по e-mail отключены"},
		Date:     "Дата", DryButton: "Пробный запуск", DryNote: "Пробный запуск показывает уведомления, которые проверка на эту дату написала бы; ничего не ставится в очередь и не записывается.",
		HDry: "Пробный запуск на %s: ничего не поставлено в очередь и не записано", HWould: "Было бы поставлено в очередь (%d):", NoneWould: "Ни одно уведомление не было бы поставлено в очередь.",
		NoLoans: "[overdue] loans не задан: укажите выгрузку выдач, которую пишет библиотечная система.", CannotRun: "Пробный запуск невозможен: %s",
		BadDate: "Это не дата: %s. Укажите дату вида 2026-12-03.",
	},
}

// morningPage is what the Morning scan page shows.
type morningPage struct {
	T      *morningWords
	Off    bool
	Last   *scanView // the last scan, as recorded; nil if none
	NoScan bool
	Error  string
	Date   string // the dry run's date in the form
	Dry    *scanView
	DryErr string
	Ran    string // what a run now did
	RunErr string // why a run now did not
}

// scanView is one scan (recorded, or a dry run) in the visitor's words.
type scanView struct {
	T         *morningWords
	Title     string
	LoansErr  string
	Counts    []kindCount
	Total     kindCount
	Would     []noticeRow // a dry run: the notices it would write
	WouldHead string
	PrintHead string
	Print     []noticeRow
	Dropped   []noticeRow
	DropHead  string
}

type kindCount struct {
	Kind                          string
	Queued, Items, Print, Dropped int
}

type noticeRow struct {
	Kind, Patron, Titles string
	To, Reason, File     string
}

func loadMorning(s *Server, r *http.Request, v *visitor) any {
	return s.morningPage(v, "")
}

// morningPage reads the last scan's record.
func (s *Server) morningPage(v *visitor, date string) *morningPage {
	t := catalogueWords(morningCatalogue, v.lang)
	p := &morningPage{T: t, Off: !s.cfg.Overdue.Enabled, Date: date}
	if p.Date == "" {
		p.Date = s.now().In(s.location()).Format(time.DateOnly)
	}
	day, ok, err := overdue.LastRun(s.cfg)
	switch {
	case err != nil:
		p.Error = fmt.Sprintf(v.w.CannotRead, err.Error())
	case !ok:
		p.NoScan = true
	default:
		res, err := overdue.Recorded(s.cfg, day)
		if err != nil {
			p.Error = fmt.Sprintf(v.w.CannotRead, err.Error())
		} else if res == nil {
			p.NoScan = true
		} else {
			p.Last = scanOf(res, t, fmt.Sprintf(t.HLast, day.Format(time.DateOnly)), false)
		}
	}
	return p
}

// scanOf is res in t's words, titled title; dry tells a dry run.
func scanOf(res *overdue.Result, t *morningWords, title string, dry bool) *scanView {
	sv := &scanView{T: t, Title: title}
	if res.LoansError != nil {
		sv.LoansErr = fmt.Sprintf(t.LoansErr, res.LoansError.Error())
	}
	counts := map[string]*kindCount{}
	for _, k := range notice.Kinds() {
		counts[k] = &kindCount{Kind: morningKind(t, k)}
	}
	count := func(kind string) *kindCount {
		if c, ok := counts[kind]; ok {
			return c
		}
		counts[kind] = &kindCount{Kind: morningKind(t, kind)}
		return counts[kind]
	}
	for _, q := range res.Queued {
		c := count(q.Kind)
		c.Queued++
		c.Items += len(q.Items)
		if dry {
			sv.Would = append(sv.Would, noticeRow{Kind: morningKind(t, q.Kind), Patron: morningPatron(q.PatronName, q.PatronID),
				Titles: morningTitles(t, q.Items), To: strings.Join(q.To, ", "), File: q.File})
		}
	}
	for _, k := range res.Skipped {
		count(k.Kind).Print++
		reason := t.Reasons[k.Reason]
		if reason == "" {
			reason = k.Reason
		}
		sv.Print = append(sv.Print, noticeRow{Kind: morningKind(t, k.Kind), Patron: morningPatron(k.PatronName, k.PatronID),
			Titles: morningTitles(t, k.Items), Reason: reason})
	}
	for _, d := range res.Dropped {
		count(d.Kind).Dropped++
		sv.Dropped = append(sv.Dropped, noticeRow{Kind: morningKind(t, d.Kind), Patron: morningPatron(d.PatronName, d.PatronID),
			Titles: morningTitles(t, d.Items), Reason: d.Reason})
	}
	kinds := notice.Kinds()
	for k := range counts {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	for _, k := range kinds {
		c := counts[k]
		sv.Counts = append(sv.Counts, *c)
		sv.Total.Queued += c.Queued
		sv.Total.Items += c.Items
		sv.Total.Print += c.Print
		sv.Total.Dropped += c.Dropped
	}
	sv.Total.Kind = t.Total
	sv.WouldHead = fmt.Sprintf(t.HWould, len(sv.Would))
	sv.PrintHead = fmt.Sprintf(t.PrintHead, len(sv.Print))
	sv.DropHead = fmt.Sprintf(t.HDropped, len(sv.Dropped))
	return sv
}

func morningKind(t *morningWords, kind string) string {
	if k := t.Kinds[kind]; k != "" {
		return k
	}
	return kind
}

func morningPatron(name, id string) string {
	if name == "" {
		return id
	}
	return name + " (" + id + ")"
}

// titles lists items with their due dates, on one line.
func morningTitles(t *morningWords, items []overdue.Item) string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		title := it.Title
		if title == "" {
			title = it.Barcode
		}
		out = append(out, title+", "+fmt.Sprintf(t.Due, it.Due.Format(time.DateOnly)))
	}
	return strings.Join(out, "; ")
}

// dryRunMorning is POST /morning/dry-run with date (YYYY-MM-DD; empty:
// today): the scan of that date as a dry run, which writes nothing.
func dryRunMorning(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		t := catalogueWords(morningCatalogue, v.lang)
		date := strings.TrimSpace(r.PostFormValue("date"))
		p := s.morningPage(v, date)
		loc := s.location()
		day := s.now().In(loc)
		act := Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActMorningDryRun, Target: date}
		var err error
		if date != "" {
			day, err = time.ParseInLocation(time.DateOnly, date, loc)
		}
		switch {
		case err != nil:
			p.DryErr = fmt.Sprintf(t.BadDate, date)
		case s.cfg.Overdue.Loans == "":
			p.DryErr = t.NoLoans
		default:
			act.Target = day.Format(time.DateOnly)
			p.Date = act.Target
			set, cerr := overdue.Check(s.cfg)
			if cerr != nil {
				p.DryErr = fmt.Sprintf(t.CannotRun, cerr.Error())
				break
			}
			ctx, cancel := context.WithTimeout(r.Context(), dryRunBound)
			defer cancel()
			res, serr := overdue.Scan(ctx, s.cfg, day, overdue.Options{DryRun: true, Notices: set, Log: s.log, Now: s.now})
			if serr != nil {
				p.DryErr = fmt.Sprintf(t.CannotRun, serr.Error())
				break
			}
			p.Dry = scanOf(res, t, fmt.Sprintf(t.HDry, act.Target), true)
			act.OK = true
			act.Detail = fmt.Sprintf("would queue %d, %d to print or phone", p.Dry.Total.Queued, p.Dry.Total.Print)
		}
		s.answerMorning(w, r, v, act, p.DryErr, t.Nav, p)
	})
}

// answerMorning records act, whose Detail is failed when failed says why
// it failed, and shows the morning page p: 422 when it failed.
func (s *Server) answerMorning(w http.ResponseWriter, r *http.Request, v *visitor, act Action, failed, title string, p *morningPage) {
	status := http.StatusOK
	if !act.OK {
		act.Detail = failed
	}
	if failed != "" {
		status = http.StatusUnprocessableEntity
	}
	s.actions.record(act)
	s.render(w, r, v, status, "morning", title, p)
}
