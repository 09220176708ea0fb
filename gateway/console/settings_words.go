package console

// settingsWords are the settings page's texts in one language.
type settingsWords struct {
	Nav, Intro, FileIs                 string
	Save, Saved                        string
	SavedApplied, SavedRestart         string
	NotSaved                           string
	HFile, ColLine, ColKey, ColValue   string
	PasswordKeep, CaptureNote, Default string
	// Help is a line under a field, by "section.key".
	Help map[string]string
}

var settingsCatalogue = map[string]*settingsWords{
	"en": {
		Nav:    "Settings",
		Intro:  "The settings an admin changes day to day. Saving checks them exactly as spoolgate checks its file at start, keeps a dated copy of the file before, and restarts the engine inside the service with them; messages in flight are finished first.",
		FileIs: "Settings file: %s", Save: "Save and apply", Saved: "Saved.",
		SavedApplied: "Saved and applied: spoolgate restarted its engine with the new settings.",
		SavedRestart: "Saved. Restart the service to apply the new settings.",
		NotSaved:     "Not saved: spoolgate would refuse these settings at start.",
		HFile:        "The file as it is", ColLine: "Line", ColKey: "Key", ColValue: "Value",
		PasswordKeep: "Leave empty to keep the password as it is.",
		CaptureNote:  "[smtp] capture is set: messages are written to a folder, not relayed, so the relay's settings do not apply.",
		Default:      "(default)",
		Help: map[string]string{
			"smtp.host": "The mail relay, e.g. smtp.example.org.", "smtp.port": "Empty: 587 with starttls, 465 with tls, 25 otherwise.",
			"smtp.security": "starttls or tls whenever the relay has a login.", "smtp.username": "The relay's login; empty for none.",
			"message.from": "The sender's address of every message.", "message.from_name": "The sender's name, e.g. the library's.",
			"spool.batch": "At most this many messages each interval; 0: no limit.", "spool.interval": "e.g. 3m.",
			"message.test_to": "Where spoolgate test sends by default.", "log.daily_to": "Who gets the daily log; commas between addresses.",
			"log.language": "The daily log's language: en, sv, nb, pl, cs or ru.",
		},
	},
	"sv": {
		Nav:    "Inställningar",
		Intro:  "De inställningar en administratör ändrar i vardagen. När du sparar kontrolleras de precis som spoolgate kontrollerar sin fil vid start, en daterad kopia av filen sparas och motorn startas om i tjänsten med dem; meddelanden som håller på att skickas blir klara först.",
		FileIs: "Inställningsfil: %s", Save: "Spara och tillämpa", Saved: "Sparat.",
		SavedApplied: "Sparat och tillämpat: spoolgate startade om sin motor med de nya inställningarna.",
		SavedRestart: "Sparat. Starta om tjänsten för att tillämpa de nya inställningarna.",
		NotSaved:     "Inte sparat: spoolgate skulle vägra dessa inställningar vid start.",
		HFile:        "Filen som den är", ColLine: "Rad", ColKey: "Nyckel", ColValue: "Värde",
		PasswordKeep: "Lämna tomt för att behålla lösenordet.",
		CaptureNote:  "[smtp] capture är satt: meddelanden skrivs till en mapp och skickas inte, så e-postserverns inställningar gäller inte.",
		Default:      "(standard)",
		Help: map[string]string{
			"smtp.host": "E-postservern, t.ex. smtp.example.org.", "smtp.port": "Tomt: 587 med starttls, 465 med tls, annars 25.",
			"smtp.security": "starttls eller tls när servern kräver inloggning.", "smtp.username": "Inloggning till servern; tomt för ingen.",
			"message.from": "Avsändaradressen för alla meddelanden.", "message.from_name": "Avsändarens namn, t.ex. bibliotekets.",
			"spool.batch": "Högst så många meddelanden per intervall; 0: ingen gräns.", "spool.interval": "t.ex. 3m.",
			"message.test_to": "Dit spoolgate test skickar som standard.", "log.daily_to": "Vem som får dagsloggen; kommatecken mellan adresser.",
			"log.language": "Dagsloggens språk: en, sv, nb, pl, cs eller ru.",
		},
	},
	"nb": {
		Nav:    "Innstillinger",
		Intro:  "Innstillingene en administrator endrer i hverdagen. Når du lagrer, kontrolleres de nøyaktig slik spoolgate kontrollerer filen sin ved oppstart, en datert kopi av filen tas vare på, og motoren startes på nytt i tjenesten med dem; meldinger som er under sending, blir ferdige først.",
		FileIs: "Innstillingsfil: %s", Save: "Lagre og ta i bruk", Saved: "Lagret.",
		SavedApplied: "Lagret og tatt i bruk: spoolgate startet motoren på nytt med de nye innstillingene.",
		SavedRestart: "Lagret. Start tjenesten på nytt for å ta i bruk de nye innstillingene.",
		NotSaved:     "Ikke lagret: spoolgate ville avvist disse innstillingene ved oppstart.",
		HFile:        "Filen slik den er", ColLine: "Linje", ColKey: "Nøkkel", ColValue: "Verdi",
		PasswordKeep: "La feltet stå tomt for å beholde passordet.",
		CaptureNote:  "[smtp] capture er satt: meldinger skrives til en mappe og sendes ikke, så e-postserverens innstillinger gjelder ikke.",
		Default:      "(standard)",
		Help: map[string]string{
			"smtp.host": "E-postserveren, f.eks. smtp.example.org.", "smtp.port": "Tomt: 587 med starttls, 465 med tls, ellers 25.",
			"smtp.security": "starttls eller tls når serveren krever innlogging.", "smtp.username": "Innlogging til serveren; tomt for ingen.",
			"message.from": "Avsenderadressen for alle meldinger.", "message.from_name": "Avsenderens navn, f.eks. bibliotekets.",
			"spool.batch": "Høyst så mange meldinger per intervall; 0: ingen grense.", "spool.interval": "f.eks. 3m.",
			"message.test_to": "Dit spoolgate test sender som standard.", "log.daily_to": "Hvem som får dagsloggen; komma mellom adresser.",
			"log.language": "Dagsloggens språk: en, sv, nb, pl, cs eller ru.",
		},
	},
	"pl": {
		Nav:    "Ustawienia",
		Intro:  "Ustawienia, które administrator zmienia na co dzień. Przy zapisie są sprawdzane dokładnie tak, jak spoolgate sprawdza swój plik przy starcie, zachowywana jest datowana kopia pliku, a silnik usługi uruchamia się ponownie z nowymi ustawieniami; wiadomości w trakcie wysyłki są najpierw kończone.",
		FileIs: "Plik ustawień: %s", Save: "Zapisz i zastosuj", Saved: "Zapisano.",
		SavedApplied: "Zapisano i zastosowano: spoolgate uruchomił ponownie silnik z nowymi ustawieniami.",
		SavedRestart: "Zapisano. Uruchom ponownie usługę, aby zastosować nowe ustawienia.",
		NotSaved:     "Nie zapisano: spoolgate odrzuciłby te ustawienia przy starcie.",
		HFile:        "Plik w obecnej postaci", ColLine: "Wiersz", ColKey: "Klucz", ColValue: "Wartość",
		PasswordKeep: "Pozostaw puste, aby zachować hasło.",
		CaptureNote:  "Ustawiono [smtp] capture: wiadomości są zapisywane do folderu, a nie wysyłane, więc ustawienia serwera poczty nie mają zastosowania.",
		Default:      "(domyślnie)",
		Help: map[string]string{
			"smtp.host": "Serwer poczty, np. smtp.example.org.", "smtp.port": "Puste: 587 z starttls, 465 z tls, w innym razie 25.",
			"smtp.security": "starttls lub tls, gdy serwer wymaga logowania.", "smtp.username": "Login do serwera; puste, jeśli brak.",
			"message.from": "Adres nadawcy każdej wiadomości.", "message.from_name": "Nazwa nadawcy, np. biblioteki.",
			"spool.batch": "Najwyżej tyle wiadomości na interwał; 0: bez limitu.", "spool.interval": "np. 3m.",
			"message.test_to": "Adres, na który spoolgate test wysyła domyślnie.", "log.daily_to": "Kto otrzymuje dziennik; adresy oddzielone przecinkami.",
			"log.language": "Język dziennika: en, sv, nb, pl, cs lub ru.",
		},
	},
	"cs": {
		Nav:    "Nastavení",
		Intro:  "Nastavení, která správce mění v běžném provozu. Při uložení se kontrolují přesně tak, jak spoolgate kontroluje svůj soubor při startu, uchová se datovaná kopie souboru a jádro služby se s nimi restartuje; rozeslané zprávy se nejprve dokončí.",
		FileIs: "Soubor nastavení: %s", Save: "Uložit a použít", Saved: "Uloženo.",
		SavedApplied: "Uloženo a použito: spoolgate restartoval své jádro s novým nastavením.",
		SavedRestart: "Uloženo. Restartujte službu, aby se nové nastavení použilo.",
		NotSaved:     "Neuloženo: spoolgate by toto nastavení při startu odmítl.",
		HFile:        "Soubor v současné podobě", ColLine: "Řádek", ColKey: "Klíč", ColValue: "Hodnota",
		PasswordKeep: "Ponechte prázdné, aby heslo zůstalo beze změny.",
		CaptureNote:  "Je nastaveno [smtp] capture: zprávy se zapisují do složky a neodesílají se, takže nastavení poštovního serveru neplatí.",
		Default:      "(výchozí)",
		Help: map[string]string{
			"smtp.host": "Poštovní server, např. smtp.example.org.", "smtp.port": "Prázdné: 587 se starttls, 465 s tls, jinak 25.",
			"smtp.security": "starttls nebo tls, pokud server vyžaduje přihlášení.", "smtp.username": "Přihlašovací jméno k serveru; prázdné, pokud žádné.",
			"message.from": "Adresa odesílatele všech zpráv.", "message.from_name": "Jméno odesílatele, např. knihovny.",
			"spool.batch": "Nejvýše tolik zpráv za interval; 0: bez omezení.", "spool.interval": "např. 3m.",
			"message.test_to": "Kam spoolgate test posílá ve výchozím stavu.", "log.daily_to": "Kdo dostává denní protokol; adresy oddělte čárkami.",
			"log.language": "Jazyk denního protokolu: en, sv, nb, pl, cs nebo ru.",
		},
	},
	"ru": {
		Nav:    "Настройки",
		Intro:  "Настройки, которые администратор меняет в повседневной работе. При сохранении они проверяются точно так же, как spoolgate проверяет свой файл при запуске, сохраняется датированная копия файла, и ядро службы перезапускается с ними; отправляемые сообщения сначала завершаются.",
		FileIs: "Файл настроек: %s", Save: "Сохранить и применить", Saved: "Сохранено.",
		SavedApplied: "Сохранено и применено: spoolgate перезапустил ядро с новыми настройками.",
		SavedRestart: "Сохранено. Перезапустите службу, чтобы применить новые настройки.",
		NotSaved:     "Не сохранено: spoolgate отклонил бы эти настройки при запуске.",
		HFile:        "Файл в текущем виде", ColLine: "Строка", ColKey: "Ключ", ColValue: "Значение",
		PasswordKeep: "Оставьте пустым, чтобы сохранить пароль.",
		CaptureNote:  "Задан [smtp] capture: сообщения записываются в папку и не отправляются, поэтому настройки почтового сервера не применяются.",
		Default:      "(по умолчанию)",
		Help: map[string]string{
			"smtp.host": "Почтовый сервер, например smtp.example.org.", "smtp.port": "Пусто: 587 с starttls, 465 с tls, иначе 25.",
			"smtp.security": "starttls или tls, если сервер требует входа.", "smtp.username": "Логин на сервере; пусто, если нет.",
			"message.from": "Адрес отправителя всех сообщений.", "message.from_name": "Имя отправителя, например библиотеки.",
			"spool.batch": "Не больше стольких сообщений за интервал; 0: без ограничения.", "spool.interval": "например 3m.",
			"message.test_to": "Куда spoolgate test отправляет по умолчанию.", "log.daily_to": "Кто получает ежедневный журнал; адреса через запятую.",
			"log.language": "Язык ежедневного журнала: en, sv, nb, pl, cs или ru.",
		},
	},
}

// settingsWordsFor is the settings page's words in lang (English when
// unknown).
func settingsWordsFor(lang string) *settingsWords { return catalogueWords(settingsCatalogue, lang) }
