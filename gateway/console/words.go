package console

// words are the console's texts in one language. Where the daily log says
// the same thing (package daily), the console uses its words: the relay is
// the mail server, a recipient skipped as a duplicate "had it already",
// and so on. The explanation of a cause is package cause's, never one of
// these. Every field is filled in every language; a test checks it.
type words struct {
	Name    string // the language in itself, for the switcher
	Console string // the site's title
	Skip    string // the link past the navigation

	NavOverview string

	Language, SignedInAs, SignOut string
	Roles                         map[string]string // by accounts.Role

	// The sign-in page.
	SignIn, UserName, Password, SignInButton string
	BadLogin                                 string // wrong name or password
	TooMany                                  string // %s: the time to try again at
	SignedOut                                string
	Expired                                  string // the session ended

	// Errors.
	Forbidden, NotFound, Unauthorized string

	// The overview.
	AllWell, Attention                         string // daily: AllWell; "Needs attention"
	HRelay, HQueue, HToday, HActions           string
	ColChain, ColState, ColSince, ColServer    string
	ColReason, ColReply, ColToDo, ColNext      string
	States                                     map[string]string // by health.State
	RelayNoRecord                              string            // the health record is missing: %s why
	QWaiting, QOldest, QDeferred, QBad, QUnmat string
	QSending                                   string
	Sent, Skipped, Failed                      string // daily: ColSent, ColSkipped, ColFailed
	LastSent, Never                            string // daily: QLastSent without the %s, QNever
	NoneWaiting                                string
	CannotRead                                 string // %s: what and why (spoolgate's English words)
	ColWhen, ColUser, ColAddr, ColWhat         string
	ColTarget, ColResult                       string
	Done, Refused, NoActions                   string
	Acts                                       map[string]string // by action kind
	PingButton                                 string            // the admin check

	// The daily jobs: the overdue scan and the daily log (the daily
	// log's names for them), each with the day it last ran for.
	HJobs, ScanLast, DailyLast, NotYet string
}

var catalogue = map[string]*words{
	"en": {
		Name: "English", Console: "spoolgate console", Skip: "Skip to the content",
		NavOverview: "Overview",
		Language:    "Language", SignedInAs: "Signed in as %s (%s)", SignOut: "Sign out",
		Roles:  map[string]string{"admin": "admin", "librarian": "librarian"},
		SignIn: "Sign in to spoolgate", UserName: "User name", Password: "Password", SignInButton: "Sign in",
		BadLogin:  "Wrong user name or password.",
		TooMany:   "Too many failed sign-ins: try again at %s.",
		SignedOut: "You are signed out.",
		Expired:   "Your session has ended: sign in again.",
		Forbidden: "This needs the admin role.", NotFound: "There is no such page.", Unauthorized: "Sign in first.",
		AllWell: "All is well: nothing needs attention.", Attention: "Needs attention",
		HRelay: "The mail relay", HQueue: "The queue now", HToday: "Today", HActions: "Recent actions",
		ColChain: "Relay chain", ColState: "State", ColSince: "Since", ColServer: "Server",
		ColReason: "Reason", ColReply: "Reply", ColToDo: "What to do", ColNext: "Next attempt",
		States: map[string]string{"available": "available", "unavailable": "unavailable", "unknown": "unknown",
			"not-running": "spoolgate is not running"},
		RelayNoRecord: "The mail relay's state is not known: %s",
		QWaiting:      "Waiting to be sent", QOldest: "The oldest has waited", QDeferred: "Waiting for a retry",
		QBad: "Set aside as .BAD", QUnmat: "Files no [spool] pattern takes (never sent)", QSending: "Being sent",
		Sent: "Sent", Skipped: "Had it already", Failed: "Failed",
		LastSent: "Last successful send", Never: "Nothing has been sent yet.",
		NoneWaiting: "Nothing is waiting.",
		CannotRead:  "Cannot read this: %s",
		ColWhen:     "When", ColUser: "User", ColAddr: "Address", ColWhat: "Action",
		ColTarget: "About", ColResult: "Result",
		Done: "done", Refused: "refused", NoActions: "No actions yet.",
		Acts: map[string]string{ActLogin: "signed in", ActLoginFailed: "sign-in failed", ActLogout: "signed out",
			ActRefused: "not allowed for the role", ActPing: "admin check"},
		PingButton: "Record an admin check",
		HJobs:      "The daily jobs", ScanLast: "The overdue scan last ran for", DailyLast: "The daily log was last sent for", NotYet: "not yet",
	},
	"sv": {
		Name: "Svenska", Console: "spoolgate-konsolen", Skip: "Hoppa till innehållet",
		NavOverview: "Översikt",
		Language:    "Språk", SignedInAs: "Inloggad som %s (%s)", SignOut: "Logga ut",
		Roles:  map[string]string{"admin": "administratör", "librarian": "bibliotekarie"},
		SignIn: "Logga in i spoolgate", UserName: "Användarnamn", Password: "Lösenord", SignInButton: "Logga in",
		BadLogin:  "Fel användarnamn eller lösenord.",
		TooMany:   "För många misslyckade inloggningar: försök igen kl. %s.",
		SignedOut: "Du är utloggad.",
		Expired:   "Din session har gått ut: logga in igen.",
		Forbidden: "Det här kräver rollen administratör.", NotFound: "Sidan finns inte.", Unauthorized: "Logga in först.",
		AllWell: "Allt är i ordning: inget behöver åtgärdas.", Attention: "Behöver åtgärdas",
		HRelay: "E-postservern", HQueue: "Kön just nu", HToday: "I dag", HActions: "Senaste åtgärder",
		ColChain: "Serverkedja", ColState: "Läge", ColSince: "Sedan", ColServer: "Server",
		ColReason: "Orsak", ColReply: "Svar", ColToDo: "Åtgärd", ColNext: "Nästa försök",
		States: map[string]string{"available": "tillgänglig", "unavailable": "otillgänglig", "unknown": "okänt",
			"not-running": "spoolgate körs inte"},
		RelayNoRecord: "E-postserverns läge är inte känt: %s",
		QWaiting:      "Väntar på att skickas", QOldest: "Den äldsta har väntat", QDeferred: "Väntar på ett nytt försök",
		QBad: "Lagda åt sidan som .BAD", QUnmat: "Filer som inget [spool] pattern matchar (skickas aldrig)", QSending: "Skickas nu",
		Sent: "Skickade", Skipped: "Hade det redan", Failed: "Misslyckade",
		LastSent: "Senast skickat", Never: "Inget har skickats än.",
		NoneWaiting: "Inget väntar.",
		CannotRead:  "Kan inte läsas: %s",
		ColWhen:     "När", ColUser: "Användare", ColAddr: "Adress", ColWhat: "Åtgärd",
		ColTarget: "Gäller", ColResult: "Resultat",
		Done: "utförd", Refused: "nekad", NoActions: "Inga åtgärder än.",
		Acts: map[string]string{ActLogin: "loggade in", ActLoginFailed: "misslyckad inloggning", ActLogout: "loggade ut",
			ActRefused: "inte tillåtet för rollen", ActPing: "administratörskontroll"},
		PingButton: "Registrera en administratörskontroll",
		HJobs:      "De dagliga jobben", ScanLast: "Förseningskontrollen kördes senast för", DailyLast: "Dagsloggen skickades senast för", NotYet: "inte än",
	},
	"nb": {
		Name: "Norsk bokmål", Console: "spoolgate-konsollen", Skip: "Hopp til innholdet",
		NavOverview: "Oversikt",
		Language:    "Språk", SignedInAs: "Logget inn som %s (%s)", SignOut: "Logg ut",
		Roles:  map[string]string{"admin": "administrator", "librarian": "bibliotekar"},
		SignIn: "Logg inn i spoolgate", UserName: "Brukernavn", Password: "Passord", SignInButton: "Logg inn",
		BadLogin:  "Feil brukernavn eller passord.",
		TooMany:   "For mange mislykkede innlogginger: prøv igjen kl. %s.",
		SignedOut: "Du er logget ut.",
		Expired:   "Økten din er utløpt: logg inn igjen.",
		Forbidden: "Dette krever rollen administrator.", NotFound: "Siden finnes ikke.", Unauthorized: "Logg inn først.",
		AllWell: "Alt er i orden: ingenting trenger oppfølging.", Attention: "Trenger oppfølging",
		HRelay: "E-postserveren", HQueue: "Køen nå", HToday: "I dag", HActions: "Siste handlinger",
		ColChain: "Serverkjede", ColState: "Tilstand", ColSince: "Siden", ColServer: "Server",
		ColReason: "Årsak", ColReply: "Svar", ColToDo: "Tiltak", ColNext: "Neste forsøk",
		States: map[string]string{"available": "tilgjengelig", "unavailable": "utilgjengelig", "unknown": "ukjent",
			"not-running": "spoolgate kjører ikke"},
		RelayNoRecord: "E-postserverens tilstand er ukjent: %s",
		QWaiting:      "Venter på å bli sendt", QOldest: "Den eldste har ventet i", QDeferred: "Venter på nytt forsøk",
		QBad: "Lagt til side som .BAD", QUnmat: "Filer som ikke passer til noe [spool] pattern (sendes aldri)", QSending: "Sendes nå",
		Sent: "Sendt", Skipped: "Hadde den allerede", Failed: "Feilet",
		LastSent: "Sist sendt", Never: "Ingenting er sendt ennå.",
		NoneWaiting: "Ingenting venter.",
		CannotRead:  "Kan ikke leses: %s",
		ColWhen:     "Når", ColUser: "Bruker", ColAddr: "Adresse", ColWhat: "Handling",
		ColTarget: "Gjelder", ColResult: "Resultat",
		Done: "utført", Refused: "avvist", NoActions: "Ingen handlinger ennå.",
		Acts: map[string]string{ActLogin: "logget inn", ActLoginFailed: "mislykket innlogging", ActLogout: "logget ut",
			ActRefused: "ikke tillatt for rollen", ActPing: "administratorkontroll"},
		PingButton: "Registrer en administratorkontroll",
		HJobs:      "De daglige jobbene", ScanLast: "Forfallskontrollen ble sist kjørt for", DailyLast: "Dagsloggen ble sist sendt for", NotYet: "ikke ennå",
	},
	"pl": {
		Name: "Polski", Console: "Konsola spoolgate", Skip: "Przejdź do treści",
		NavOverview: "Przegląd",
		Language:    "Język", SignedInAs: "Zalogowano jako %s (%s)", SignOut: "Wyloguj",
		Roles:  map[string]string{"admin": "administrator", "librarian": "bibliotekarz"},
		SignIn: "Logowanie do spoolgate", UserName: "Nazwa użytkownika", Password: "Hasło", SignInButton: "Zaloguj",
		BadLogin:  "Błędna nazwa użytkownika lub hasło.",
		TooMany:   "Zbyt wiele nieudanych logowań: spróbuj ponownie o %s.",
		SignedOut: "Wylogowano.",
		Expired:   "Sesja wygasła: zaloguj się ponownie.",
		Forbidden: "To wymaga roli administratora.", NotFound: "Nie ma takiej strony.", Unauthorized: "Najpierw się zaloguj.",
		AllWell: "Wszystko w porządku: nic nie wymaga uwagi.", Attention: "Wymaga uwagi",
		HRelay: "Serwer poczty", HQueue: "Kolejka w tej chwili", HToday: "Dzisiaj", HActions: "Ostatnie działania",
		ColChain: "Łańcuch serwerów", ColState: "Stan", ColSince: "Od", ColServer: "Serwer",
		ColReason: "Przyczyna", ColReply: "Odpowiedź", ColToDo: "Co zrobić", ColNext: "Następna próba",
		States: map[string]string{"available": "dostępny", "unavailable": "niedostępny", "unknown": "nieznany",
			"not-running": "spoolgate nie działa"},
		RelayNoRecord: "Stan serwera poczty jest nieznany: %s",
		QWaiting:      "Czeka na wysłanie", QOldest: "Najstarsza czeka od", QDeferred: "Czeka na ponowną próbę",
		QBad: "Odłożone jako .BAD", QUnmat: "Pliki, do których nie pasuje żaden [spool] pattern (nigdy niewysyłane)", QSending: "W trakcie wysyłania",
		Sent: "Wysłane", Skipped: "Już otrzymane", Failed: "Nieudane",
		LastSent: "Ostatnia udana wysyłka", Never: "Jeszcze nic nie wysłano.",
		NoneWaiting: "Nic nie czeka.",
		CannotRead:  "Nie można odczytać: %s",
		ColWhen:     "Kiedy", ColUser: "Użytkownik", ColAddr: "Adres", ColWhat: "Działanie",
		ColTarget: "Dotyczy", ColResult: "Wynik",
		Done: "wykonano", Refused: "odmówiono", NoActions: "Jeszcze nie było działań.",
		Acts: map[string]string{ActLogin: "zalogowanie", ActLoginFailed: "nieudane logowanie", ActLogout: "wylogowanie",
			ActRefused: "niedozwolone dla roli", ActPing: "kontrola administratora"},
		PingButton: "Zapisz kontrolę administratora",
		HJobs:      "Zadania dzienne", ScanLast: "Kontrola terminów ostatnio uruchomiona za dzień", DailyLast: "Raport dzienny ostatnio wysłany za dzień", NotYet: "jeszcze nie",
	},
	"cs": {
		Name: "Čeština", Console: "Konzole spoolgate", Skip: "Přejít na obsah",
		NavOverview: "Přehled",
		Language:    "Jazyk", SignedInAs: "Přihlášen jako %s (%s)", SignOut: "Odhlásit",
		Roles:  map[string]string{"admin": "správce", "librarian": "knihovník"},
		SignIn: "Přihlášení do spoolgate", UserName: "Uživatelské jméno", Password: "Heslo", SignInButton: "Přihlásit",
		BadLogin:  "Chybné uživatelské jméno nebo heslo.",
		TooMany:   "Příliš mnoho neúspěšných přihlášení: zkuste to znovu v %s.",
		SignedOut: "Jste odhlášeni.",
		Expired:   "Relace vypršela: přihlaste se znovu.",
		Forbidden: "K tomu je potřeba role správce.", NotFound: "Taková stránka neexistuje.", Unauthorized: "Nejprve se přihlaste.",
		AllWell: "Vše v pořádku: nic nevyžaduje pozornost.", Attention: "Vyžaduje pozornost",
		HRelay: "Poštovní server", HQueue: "Fronta právě teď", HToday: "Dnes", HActions: "Poslední akce",
		ColChain: "Řetězec serverů", ColState: "Stav", ColSince: "Od", ColServer: "Server",
		ColReason: "Příčina", ColReply: "Odpověď", ColToDo: "Co dělat", ColNext: "Další pokus",
		States: map[string]string{"available": "dostupný", "unavailable": "nedostupný", "unknown": "neznámý",
			"not-running": "spoolgate neběží"},
		RelayNoRecord: "Stav poštovního serveru není znám: %s",
		QWaiting:      "Čeká na odeslání", QOldest: "Nejstarší čeká už", QDeferred: "Čeká na další pokus",
		QBad: "Odloženo jako .BAD", QUnmat: "Soubory, na které nesedí žádný [spool] pattern (nikdy se neodešlou)", QSending: "Právě se odesílá",
		Sent: "Odeslané", Skipped: "Už doručené", Failed: "Neúspěšné",
		LastSent: "Poslední úspěšné odeslání", Never: "Zatím nebylo nic odesláno.",
		NoneWaiting: "Nic nečeká.",
		CannotRead:  "Nelze přečíst: %s",
		ColWhen:     "Kdy", ColUser: "Uživatel", ColAddr: "Adresa", ColWhat: "Akce",
		ColTarget: "Týká se", ColResult: "Výsledek",
		Done: "provedeno", Refused: "odmítnuto", NoActions: "Zatím žádné akce.",
		Acts: map[string]string{ActLogin: "přihlášení", ActLoginFailed: "neúspěšné přihlášení", ActLogout: "odhlášení",
			ActRefused: "pro roli nepovoleno", ActPing: "kontrola správce"},
		PingButton: "Zaznamenat kontrolu správce",
		HJobs:      "Denní úlohy", ScanLast: "Kontrola výpůjček naposledy proběhla za den", DailyLast: "Denní protokol naposledy odeslán za den", NotYet: "zatím ne",
	},
	"ru": {
		Name: "Русский", Console: "Консоль spoolgate", Skip: "Перейти к содержимому",
		NavOverview: "Обзор",
		Language:    "Язык", SignedInAs: "Вход выполнен: %s (%s)", SignOut: "Выйти",
		Roles:  map[string]string{"admin": "администратор", "librarian": "библиотекарь"},
		SignIn: "Вход в spoolgate", UserName: "Имя пользователя", Password: "Пароль", SignInButton: "Войти",
		BadLogin:  "Неверное имя пользователя или пароль.",
		TooMany:   "Слишком много неудачных попыток входа: повторите в %s.",
		SignedOut: "Вы вышли из системы.",
		Expired:   "Сеанс истёк: войдите снова.",
		Forbidden: "Для этого нужна роль администратора.", NotFound: "Такой страницы нет.", Unauthorized: "Сначала войдите.",
		AllWell: "Всё в порядке: ничего не требует внимания.", Attention: "Требует внимания",
		HRelay: "Почтовый сервер", HQueue: "Очередь сейчас", HToday: "Сегодня", HActions: "Последние действия",
		ColChain: "Цепочка серверов", ColState: "Состояние", ColSince: "С", ColServer: "Сервер",
		ColReason: "Причина", ColReply: "Ответ", ColToDo: "Что делать", ColNext: "Следующая попытка",
		States: map[string]string{"available": "доступен", "unavailable": "недоступен", "unknown": "неизвестно",
			"not-running": "spoolgate не работает"},
		RelayNoRecord: "Состояние почтового сервера неизвестно: %s",
		QWaiting:      "Ожидают отправки", QOldest: "Самое старое ждёт уже", QDeferred: "Ожидают повторной попытки",
		QBad: "Отложено как .BAD", QUnmat: "Файлы, не подходящие ни под один [spool] pattern (никогда не отправляются)", QSending: "Отправляются сейчас",
		Sent: "Отправлено", Skipped: "Уже получено", Failed: "Не отправлено",
		LastSent: "Последняя успешная отправка", Never: "Ещё ничего не отправлено.",
		NoneWaiting: "Ничего не ждёт.",
		CannotRead:  "Не удаётся прочитать: %s",
		ColWhen:     "Когда", ColUser: "Пользователь", ColAddr: "Адрес", ColWhat: "Действие",
		ColTarget: "Объект", ColResult: "Результат",
		Done: "выполнено", Refused: "отказано", NoActions: "Действий пока нет.",
		Acts: map[string]string{ActLogin: "вход", ActLoginFailed: "неудачный вход", ActLogout: "выход",
			ActRefused: "не разрешено для роли", ActPing: "проверка администратора"},
		PingButton: "Записать проверку администратора",
		HJobs:      "Ежедневные задачи", ScanLast: "Проверка сроков последний раз выполнена за", DailyLast: "Ежедневный отчёт последний раз отправлен за", NotYet: "ещё нет",
	},
}
