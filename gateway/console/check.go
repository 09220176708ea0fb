package console

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/check"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
)

// The Check page (admin): runs spoolgate check's steps (package check)
// when the admin asks, by a POST, since it connects to the relays, and
// shows each step with its verdict and what to do, and each server's
// transcript, with the credentials masked as check masks them.
func init() {
	register(page{order: NavCheck, path: "/check", name: "check", role: accounts.Admin,
		label: func(w *words) string { return catalogueWords(checkCatalogue, langOf(w)).Nav }, load: loadCheck})
	registerPost(post{path: "/check", role: accounts.Admin, handle: runCheck})
}

// checkBound bounds a check run from the console: shorter than the
// server's write time-out, so the page always comes back. Each network
// step is bounded by its server's own time-outs as well.
const checkBound = 45 * time.Second

// checkWords are the Check page's texts in one language. The verdicts
// are check's own (English, naming the config keys); a relay's failure is
// explained in package cause's words.
type checkWords struct {
	Nav, Intro, Run        string
	Result                 string // %[1]d problems, %[2]d warnings
	AllOK                  string
	HFolders, HCapture     string
	HServer                string // %[1]s the name, %[2]s the address
	HOverdue, HTranscript  string
	ColStep, ColStatus     string
	ColDetail, ColVerdict  string
	Statuses               map[string]string // by check.Status
	LReason, LToDo, LReply string
	Checked                string // %s: when
}

var checkCatalogue = map[string]*checkWords{
	"en": {
		Nav: "Check", Intro: "Check the folders, each mail relay step by step (DNS, connection, greeting, EHLO, TLS, login, senders) and the overdue scan's export, as spoolgate check does. Nothing is sent.",
		Run: "Run the check", Result: "%d problem(s) and %d warning(s) found: see what to do under each.", AllOK: "All checks passed.",
		HFolders: "Folders", HCapture: "Capture mode", HServer: "Mail relay %s (%s)", HOverdue: "Overdue notices ([overdue])", HTranscript: "Transcript (passwords masked)",
		ColStep: "Step", ColStatus: "Result", ColDetail: "What was found", ColVerdict: "What to do",
		Statuses: map[string]string{"ok": "ok", "warn": "warning", "fail": "FAILED", "skip": "skipped"},
		LReason:  "Reason", LToDo: "What to do", LReply: "Reply", Checked: "Checked at %s.",
	},
	"sv": {
		Nav: "Kontroll", Intro: "Kontrollera mapparna, varje e-postserver steg för steg (DNS, anslutning, hälsning, EHLO, TLS, inloggning, avsändare) och förseningskontrollens lånefil, som spoolgate check gör. Inget skickas.",
		Run: "Kör kontrollen", Result: "%d problem och %d varningar hittades: se åtgärden under vart och ett.", AllOK: "Alla kontroller gick bra.",
		HFolders: "Mappar", HCapture: "Fångstläge", HServer: "E-postservern %s (%s)", HOverdue: "Förseningsmeddelanden ([overdue])", HTranscript: "Dialog (lösenord dolda)",
		ColStep: "Steg", ColStatus: "Resultat", ColDetail: "Vad som hittades", ColVerdict: "Åtgärd",
		Statuses: map[string]string{"ok": "ok", "warn": "varning", "fail": "MISSLYCKADES", "skip": "hoppades över"},
		LReason:  "Orsak", LToDo: "Åtgärd", LReply: "Svar", Checked: "Kontrollerat %s.",
	},
	"nb": {
		Nav: "Kontroll", Intro: "Kontroller mappene, hver e-postserver trinn for trinn (DNS, tilkobling, hilsen, EHLO, TLS, innlogging, avsendere) og forfallskontrollens lånefil, slik spoolgate check gjør. Ingenting sendes.",
		Run: "Kjør kontrollen", Result: "%d problemer og %d advarsler funnet: se tiltaket under hver.", AllOK: "Alle kontroller gikk bra.",
		HFolders: "Mapper", HCapture: "Fangstmodus", HServer: "E-postserveren %s (%s)", HOverdue: "Forsinkelsesvarsler ([overdue])", HTranscript: "Dialog (passord skjult)",
		ColStep: "Trinn", ColStatus: "Resultat", ColDetail: "Hva som ble funnet", ColVerdict: "Tiltak",
		Statuses: map[string]string{"ok": "ok", "warn": "advarsel", "fail": "FEILET", "skip": "hoppet over"},
		LReason:  "Årsak", LToDo: "Tiltak", LReply: "Svar", Checked: "Kontrollert %s.",
	},
	"pl": {
		Nav: "Sprawdzenie", Intro: "Sprawdź foldery, każdy serwer poczty krok po kroku (DNS, połączenie, powitanie, EHLO, TLS, logowanie, nadawcy) i eksport wypożyczeń kontroli terminów, tak jak spoolgate check. Nic nie jest wysyłane.",
		Run: "Uruchom sprawdzenie", Result: "Znaleziono problemy: %d, ostrzeżenia: %d. Co zrobić, podano pod każdym.", AllOK: "Wszystkie kontrole przeszły pomyślnie.",
		HFolders: "Foldery", HCapture: "Tryb przechwytywania", HServer: "Serwer poczty %s (%s)", HOverdue: "Powiadomienia o przekroczeniu terminu ([overdue])", HTranscript: "Zapis rozmowy (hasła ukryte)",
		ColStep: "Krok", ColStatus: "Wynik", ColDetail: "Co znaleziono", ColVerdict: "Co zrobić",
		Statuses: map[string]string{"ok": "ok", "warn": "ostrzeżenie", "fail": "BŁĄD", "skip": "pominięto"},
		LReason:  "Przyczyna", LToDo: "Co zrobić", LReply: "Odpowiedź", Checked: "Sprawdzono %s.",
	},
	"cs": {
		Nav: "Kontrola", Intro: "Zkontrolujte složky, každý poštovní server krok za krokem (DNS, spojení, pozdrav, EHLO, TLS, přihlášení, odesílatelé) a export výpůjček, jako to dělá spoolgate check. Nic se neodesílá.",
		Run: "Spustit kontrolu", Result: "Nalezeno problémů: %d, varování: %d. Co dělat, je uvedeno u každého.", AllOK: "Všechny kontroly prošly.",
		HFolders: "Složky", HCapture: "Režim zachytávání", HServer: "Poštovní server %s (%s)", HOverdue: "Upozornění na uplynulou lhůtu ([overdue])", HTranscript: "Průběh komunikace (hesla skryta)",
		ColStep: "Krok", ColStatus: "Výsledek", ColDetail: "Co bylo zjištěno", ColVerdict: "Co dělat",
		Statuses: map[string]string{"ok": "ok", "warn": "varování", "fail": "CHYBA", "skip": "přeskočeno"},
		LReason:  "Příčina", LToDo: "Co dělat", LReply: "Odpověď", Checked: "Zkontrolováno %s.",
	},
	"ru": {
		Nav: "Проверка", Intro: "Проверьте папки, каждый почтовый сервер шаг за шагом (DNS, соединение, приветствие, EHLO, TLS, вход, отправители) и выгрузку выдач, как это делает spoolgate check. Ничего не отправляется.",
		Run: "Запустить проверку", Result: "Найдено проблем: %d, предупреждений: %d. Что делать, указано под каждой.", AllOK: "Все проверки пройдены.",
		HFolders: "Папки", HCapture: "Режим перехвата", HServer: "Почтовый сервер %s (%s)", HOverdue: "Уведомления о просрочке ([overdue])", HTranscript: "Диалог (пароли скрыты)",
		ColStep: "Шаг", ColStatus: "Результат", ColDetail: "Что найдено", ColVerdict: "Что делать",
		Statuses: map[string]string{"ok": "ok", "warn": "предупреждение", "fail": "ОШИБКА", "skip": "пропущено"},
		LReason:  "Причина", LToDo: "Что делать", LReply: "Ответ", Checked: "Проверено %s.",
	},
}

// checkPage is what the Check page shows: the form, and after a run its
// findings, section by section.
type checkPage struct {
	T        *checkWords
	Ran      bool
	OK       bool
	Result   string
	Checked  string
	Sections []checkSection
}

// checkSection is the folders, capture mode, one server (with its
// transcript) or the overdue scan's inputs.
type checkSection struct {
	ID, Title  string
	T          *checkWords
	Rows       []checkRow
	Transcript []string
}

// checkRow is one step of check, in the visitor's words where they exist.
type checkRow struct {
	Step, Status, Class string
	Detail, Verdict     string
	Reply               string
	Label, Meaning      string // the cause (package cause), when check gave one
	ToDo                string
}

func loadCheck(s *Server, r *http.Request, v *visitor) any {
	return &checkPage{T: catalogueWords(checkCatalogue, v.lang)}
}

// runCheck is POST /check: it runs the check, bounded by checkBound,
// records it and shows its findings.
func runCheck(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		ctx, cancel := context.WithTimeout(r.Context(), checkBound)
		defer cancel()
		rep := check.Run(ctx, s.cfg, check.Options{Now: s.now})
		s.actions.record(Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActCheck, OK: rep.OK(),
			Detail: fmt.Sprintf("%d problem(s), %d warning(s)", rep.Problems(), rep.Warnings())})
		t := catalogueWords(checkCatalogue, v.lang)
		s.render(w, r, v, http.StatusOK, "check", t.Nav, checkView(rep, t, v.lang, s.stamp(rep.CheckedAt)))
	})
}

// checkView is rep as the page shows it.
func checkView(rep *check.Report, t *checkWords, code, checked string) *checkPage {
	p := &checkPage{T: t, Ran: true, OK: rep.OK(), Checked: fmt.Sprintf(t.Checked, checked)}
	if p.OK && rep.Warnings() == 0 {
		p.Result = t.AllOK
	} else {
		p.Result = fmt.Sprintf(t.Result, rep.Problems(), rep.Warnings())
	}
	row := func(st check.Step) checkRow {
		c := checkRow{Step: st.Step, Status: t.Statuses[string(st.Status)], Class: checkClass(st.Status),
			Detail: st.Detail, Verdict: st.Verdict, Reply: st.Reply}
		if c.Status == "" {
			c.Status = string(st.Status)
		}
		if st.Cause != "" && st.Status != check.StatusOK {
			c.Label = cause.Label(code, st.Cause)
			c.Meaning, c.ToDo = cause.Explain(code, st.Cause)
		}
		return c
	}
	rows := func(ss []check.Step) []checkRow {
		out := make([]checkRow, 0, len(ss))
		for _, st := range ss {
			out = append(out, row(st))
		}
		return out
	}
	var folders []checkRow
	for _, f := range rep.Folders {
		folders = append(folders, row(check.Step{Step: f.Name, Status: f.Status, Detail: f.Path + ": " + f.Detail, Verdict: f.Verdict}))
	}
	p.Sections = append(p.Sections, checkSection{ID: "folders", Title: t.HFolders, T: t, Rows: folders})
	if len(rep.Capture) > 0 {
		p.Sections = append(p.Sections, checkSection{ID: "capture", Title: t.HCapture, T: t, Rows: rows(rep.Capture)})
	}
	for i, srv := range rep.Servers {
		p.Sections = append(p.Sections, checkSection{ID: fmt.Sprintf("server-%d", i), Title: fmt.Sprintf(t.HServer, srv.Name, srv.Address),
			T: t, Rows: rows(srv.Steps), Transcript: srv.Transcript})
	}
	if len(rep.Overdue) > 0 {
		p.Sections = append(p.Sections, checkSection{ID: "overdue", Title: t.HOverdue, T: t, Rows: rows(rep.Overdue)})
	}
	return p
}

func checkClass(st check.Status) string {
	switch st {
	case check.StatusOK:
		return "ok"
	case check.StatusFail:
		return "bad"
	case check.StatusWarn:
		return "warn"
	}
	return "unknown"
}
