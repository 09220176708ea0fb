package message

import (
	"fmt"
	"strconv"
	"strings"
)

// DetailID names what spoolgate found wrong with a message file. Each has
// one text in each language of [log] language (see Detail.Text).
type DetailID uint8

// The details. The fields of Detail each one uses are named beside it.
const (
	// NotAMessage: the file cannot be read as a message (no more is
	// known). It is also the text of a Detail whose ID is not set.
	NotAMessage          DetailID = iota
	EmptyFile                     // the file is empty
	FileTooLarge                  // N: the file's size; Max: [spool] max_size
	NULBytes                      // Line: the first NUL byte's
	HeaderNotUTF8                 // Header, Line: 8-bit text that is not UTF-8, [spool] charset is UTF-8
	HeaderCharset                 // Header, Line, Charset: 8-bit text the charset cannot decode
	Continuation                  // Line: a folded line with no header field before it
	NotAHeader                    // Line, Value: a line in the header block that is not a field
	NoHeader                      // the file has no header fields
	LineTooLong                   // Line, N: its length; Max: the longest line mail allows
	BodyNotUTF8                   // 8-bit text that is not UTF-8, no Content-Type names its charset
	SenderNotOne                  // Line, Value: X-Sender does not hold exactly one address
	NoRecipients                  // no To, Cc, Bcc or X-Receiver address
	BadAddress                    // Header, Line, Value: an address that cannot be read
	FromTooLong                   // the From built from [message] from_name and from is too long
	HeaderTooLongUTF8             // Header, Line: too long once converted to UTF-8
	HeaderTooLongEncoded          // Header, Line: too long once RFC 2047 encoded
	RelayTooLarge                 // N: the message's size; Max: the relay's SIZE

	numDetails // the number of details; not a detail
)

// Details returns every DetailID, for a test or a list of texts.
func Details() []DetailID {
	ids := make([]DetailID, numDetails)
	for i := range ids {
		ids[i] = DetailID(i)
	}
	return ids
}

// Detail is what spoolgate found wrong with a message file, as facts
// rather than words, so that it can be worded in any language of
// [log] language. Parse returns one in each *Error; the gateway makes the
// ones for a file larger than [spool] max_size, which it refuses before
// reading it, and for a message larger than the relay's SIZE.
type Detail struct {
	ID      DetailID
	Line    int    // the line of the file it is about (1 is the first), or 0
	Header  string // the header field's name as the file spells it ("To"), or ""
	Value   string // text quoted from the file: a line, an address; or ""
	Charset string // [spool] charset as configured, or ""
	N       int64  // what was measured: a size in bytes, a line's length in characters
	Max     int64  // the limit N exceeds
}

// Text words d for a librarian in lang, one of the codes of [log] language
// (en, sv, nb, pl, cs, ru); a language it lacks, or "", is English. Names
// that must be typed as they are (header fields, config keys, charsets)
// and text quoted from the file are kept as they are.
func (d Detail) Text(lang string) string {
	w, ok := languages[strings.ToLower(strings.TrimSpace(lang))]
	if !ok {
		w = languages["en"]
	}
	tmpl, ok := w.texts[d.ID]
	if !ok {
		tmpl = w.texts[NotAMessage]
	}
	size, limit := w.size(d.N), w.size(d.Max)
	if size == limit && d.N != d.Max {
		// 10 MB over 10 MB: the exact count says which is larger.
		size += " (" + w.count(d.N, w.bytes) + ")"
	}
	return strings.NewReplacer(
		"{line}", strconv.Itoa(d.Line),
		"{header}", d.Header,
		"{value}", quoteShort([]byte(d.Value)),
		"{charset}", d.Charset,
		"{chars}", w.count(d.N, w.chars),
		"{max}", strconv.FormatInt(d.Max, 10),
		"{size}", size,
		"{limit}", limit,
	).Replace(tmpl)
}

// words are the texts of every detail in one language, and how the
// language writes a count and a size.
type words struct {
	// plural picks the form of a noun after the count n: 0 for one, 1
	// for a few, 2 for many (see pluralEN, pluralSlavic).
	plural       func(n int64) int
	bytes, chars [3]string // the noun in each form of plural
	units        [3]string // KB, MB, GB
	point        string    // the decimal separator
	// texts hold the placeholders {line}, {header}, {value} (quoted),
	// {charset}, {chars} (N characters), {max} (Max as a number), {size}
	// (N as a size) and {limit} (Max as a size).
	texts map[DetailID]string
}

// count writes n and the noun in the form n takes.
func (w words) count(n int64, noun [3]string) string {
	return strconv.FormatInt(n, 10) + " " + noun[w.plural(n)]
}

// size writes n bytes for people: 812 bytes, 3.5 KB, 12.3 MB, 1.1 GB (1 KB
// = 1024 bytes, as [spool] max_size counts), with the language's decimal
// separator.
func (w words) size(n int64) string {
	if n < 1024 {
		return w.count(n, w.bytes)
	}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u+1 < len(w.units) {
		v /= 1024
		u++
	}
	t := strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
	return strings.Replace(t, ".", w.point, 1) + " " + w.units[u]
}

// pluralEN is the plural of English, Swedish and Norwegian: one, or many.
func pluralEN(n int64) int {
	if n == 1 {
		return 0
	}
	return 2
}

// pluralSlavic is the plural of Polish and Russian: 1 (Russian: 21, 31
// ...) takes the first form; 2-4, 22-24 ... the second; the rest the
// third (CLDR plural rules).
func pluralSlavic(oneEndsIn1 bool) func(n int64) int {
	return func(n int64) int {
		d, dd := n%10, n%100
		switch {
		case n == 1, oneEndsIn1 && d == 1 && dd != 11:
			return 0
		case d >= 2 && d <= 4 && (dd < 12 || dd > 14):
			return 1
		}
		return 2
	}
}

// pluralCS is the plural of Czech: 1; 2-4; the rest.
func pluralCS(n int64) int {
	switch {
	case n == 1:
		return 0
	case n >= 2 && n <= 4:
		return 1
	}
	return 2
}

// languages holds every language of [log] language; a test checks that
// each has a text for every detail.
var languages = map[string]words{
	"en": {
		plural: pluralEN,
		bytes:  [3]string{"byte", "bytes", "bytes"},
		chars:  [3]string{"character", "characters", "characters"},
		units:  [3]string{"KB", "MB", "GB"},
		point:  ".",
		texts: map[DetailID]string{
			NotAMessage:          "the file cannot be read as a message",
			EmptyFile:            "the file is empty",
			FileTooLarge:         "the file is {size}; [spool] max_size allows at most {limit}",
			NULBytes:             "the file contains NUL bytes (the first on line {line}), so it is not a text message — was a binary file dropped in the queue?",
			HeaderNotUTF8:        "the {header} header (line {line}) has bytes that are not UTF-8; set [spool] charset to the code page your library system writes, e.g. windows-1252",
			HeaderCharset:        "the {header} header (line {line}) cannot be read as {charset}; check [spool] charset",
			Continuation:         "line {line} starts with a space or tab, but there is no header field before it to continue: the file must start with a header field such as \"To: ...\"",
			NotAHeader:           "line {line} is not a header field ({value}): the header block must end with an empty line before the body",
			NoHeader:             "the file has no header fields: a message must start with lines such as \"To: ...\" and \"Subject: ...\", then an empty line, then the text",
			LineTooLong:          "line {line} is {chars} long; mail allows at most {max}",
			BodyNotUTF8:          "the message text has bytes that are not UTF-8 and no Content-Type header names its charset; set [spool] charset to the code page your library system writes, e.g. windows-1252",
			SenderNotOne:         "the X-Sender header (line {line}) must hold exactly one address, not {value}",
			NoRecipients:         "the file has no recipients: add a To: line or X-Receiver: lines",
			BadAddress:           "the address {value} in the {header} header (line {line}) is not valid",
			FromTooLong:          "the From header built from [message] from_name and from is too long for a mail header line; shorten from_name",
			HeaderTooLongUTF8:    "the {header} header (line {line}) is too long to send once converted to UTF-8",
			HeaderTooLongEncoded: "the {header} header (line {line}) is too long to send once encoded",
			RelayTooLarge:        "the relay accepts at most {limit} (SIZE {max}); this message is {size}",
		},
	},
	"sv": {
		plural: pluralEN,
		bytes:  [3]string{"byte", "byte", "byte"},
		chars:  [3]string{"tecken", "tecken", "tecken"},
		units:  [3]string{"KB", "MB", "GB"},
		point:  ",",
		texts: map[DetailID]string{
			NotAMessage:          "filen kan inte läsas som ett e-postmeddelande",
			EmptyFile:            "filen är tom",
			FileTooLarge:         "filen är på {size}; [spool] max_size tillåter högst {limit}",
			NULBytes:             "filen innehåller NUL-byte (den första på rad {line}), så den är inget textmeddelande — har en binär fil hamnat i kön?",
			HeaderNotUTF8:        "huvudfältet {header} (rad {line}) innehåller byte som inte är UTF-8; ställ in [spool] charset på den teckenkodning som bibliotekssystemet skriver, t.ex. windows-1252",
			HeaderCharset:        "huvudfältet {header} (rad {line}) kan inte läsas som {charset}; kontrollera [spool] charset",
			Continuation:         "rad {line} börjar med ett mellanslag eller en tabb, men det finns inget huvudfält före den som den kan fortsätta: filen måste börja med ett huvudfält som \"To: ...\"",
			NotAHeader:           "rad {line} är inget huvudfält ({value}): huvudfälten måste följas av en tom rad före själva texten",
			NoHeader:             "filen har inga huvudfält: ett meddelande måste börja med rader som \"To: ...\" och \"Subject: ...\", sedan en tom rad och sedan texten",
			LineTooLong:          "rad {line} är {chars} lång; e-post tillåter högst {max}",
			BodyNotUTF8:          "meddelandets text innehåller byte som inte är UTF-8, och inget Content-Type-fält anger dess teckenkodning; ställ in [spool] charset på den teckenkodning som bibliotekssystemet skriver, t.ex. windows-1252",
			SenderNotOne:         "huvudfältet X-Sender (rad {line}) måste innehålla exakt en adress, inte {value}",
			NoRecipients:         "filen har inga mottagare: lägg till en To:-rad eller X-Receiver:-rader",
			BadAddress:           "adressen {value} i huvudfältet {header} (rad {line}) är inte giltig",
			FromTooLong:          "From-fältet som byggs av [message] from_name och from blir för långt för en rad i e-posthuvudet; korta from_name",
			HeaderTooLongUTF8:    "huvudfältet {header} (rad {line}) blir för långt att skicka när det konverteras till UTF-8",
			HeaderTooLongEncoded: "huvudfältet {header} (rad {line}) blir för långt att skicka när det kodas",
			RelayTooLarge:        "e-postservern tar emot högst {limit} (SIZE {max}); det här meddelandet är på {size}",
		},
	},
	"nb": {
		plural: pluralEN,
		bytes:  [3]string{"byte", "byte", "byte"},
		chars:  [3]string{"tegn", "tegn", "tegn"},
		units:  [3]string{"KB", "MB", "GB"},
		point:  ",",
		texts: map[DetailID]string{
			NotAMessage:          "filen kan ikke leses som en e-postmelding",
			EmptyFile:            "filen er tom",
			FileTooLarge:         "filen er på {size}; [spool] max_size tillater høyst {limit}",
			NULBytes:             "filen inneholder NUL-byte (den første på linje {line}), så den er ikke en tekstmelding — har en binærfil havnet i køen?",
			HeaderNotUTF8:        "hodefeltet {header} (linje {line}) inneholder byte som ikke er UTF-8; sett [spool] charset til tegnkodingen bibliotekssystemet skriver, f.eks. windows-1252",
			HeaderCharset:        "hodefeltet {header} (linje {line}) kan ikke leses som {charset}; kontroller [spool] charset",
			Continuation:         "linje {line} begynner med et mellomrom eller en tabulator, men det finnes ikke noe hodefelt foran den som den kan fortsette: filen må begynne med et hodefelt som \"To: ...\"",
			NotAHeader:           "linje {line} er ikke et hodefelt ({value}): hodefeltene må avsluttes med en tom linje før selve teksten",
			NoHeader:             "filen har ingen hodefelt: en melding må begynne med linjer som \"To: ...\" og \"Subject: ...\", deretter en tom linje og så teksten",
			LineTooLong:          "linje {line} er {chars} lang; e-post tillater høyst {max}",
			BodyNotUTF8:          "meldingsteksten inneholder byte som ikke er UTF-8, og ikke noe Content-Type-felt oppgir tegnkodingen; sett [spool] charset til tegnkodingen bibliotekssystemet skriver, f.eks. windows-1252",
			SenderNotOne:         "hodefeltet X-Sender (linje {line}) må inneholde nøyaktig én adresse, ikke {value}",
			NoRecipients:         "filen har ingen mottakere: legg til en To:-linje eller X-Receiver:-linjer",
			BadAddress:           "adressen {value} i hodefeltet {header} (linje {line}) er ikke gyldig",
			FromTooLong:          "From-feltet som bygges av [message] from_name og from, blir for langt for en linje i e-posthodet; forkort from_name",
			HeaderTooLongUTF8:    "hodefeltet {header} (linje {line}) blir for langt til å sendes når det konverteres til UTF-8",
			HeaderTooLongEncoded: "hodefeltet {header} (linje {line}) blir for langt til å sendes når det kodes",
			RelayTooLarge:        "e-postserveren tar imot høyst {limit} (SIZE {max}); denne meldingen er på {size}",
		},
	},
	"pl": {
		plural: pluralSlavic(false),
		bytes:  [3]string{"bajt", "bajty", "bajtów"},
		chars:  [3]string{"znak", "znaki", "znaków"},
		units:  [3]string{"KB", "MB", "GB"},
		point:  ",",
		texts: map[DetailID]string{
			NotAMessage:          "pliku nie da się odczytać jako wiadomości e-mail",
			EmptyFile:            "plik jest pusty",
			FileTooLarge:         "plik ma {size}; [spool] max_size dopuszcza najwyżej {limit}",
			NULBytes:             "plik zawiera bajty NUL (pierwszy w wierszu {line}), więc nie jest wiadomością tekstową — czy do kolejki trafił plik binarny?",
			HeaderNotUTF8:        "nagłówek {header} (wiersz {line}) zawiera bajty spoza UTF-8; ustaw w [spool] charset stronę kodową, w której zapisuje system biblioteczny, np. windows-1252",
			HeaderCharset:        "nagłówka {header} (wiersz {line}) nie da się odczytać jako {charset}; sprawdź [spool] charset",
			Continuation:         "wiersz {line} zaczyna się od spacji lub tabulatora, ale nie ma przed nim pola nagłówka, które mógłby kontynuować: plik musi zaczynać się od pola nagłówka, np. \"To: ...\"",
			NotAHeader:           "wiersz {line} nie jest polem nagłówka ({value}): po nagłówkach, przed treścią, musi być pusty wiersz",
			NoHeader:             "plik nie ma pól nagłówka: wiadomość musi zaczynać się od wierszy takich jak \"To: ...\" i \"Subject: ...\", potem pusty wiersz, a potem treść",
			LineTooLong:          "wiersz {line} ma {chars}; poczta dopuszcza najwyżej {max}",
			BodyNotUTF8:          "treść wiadomości zawiera bajty spoza UTF-8, a żaden nagłówek Content-Type nie podaje jej kodowania; ustaw w [spool] charset stronę kodową, w której zapisuje system biblioteczny, np. windows-1252",
			SenderNotOne:         "nagłówek X-Sender (wiersz {line}) musi zawierać dokładnie jeden adres, a nie {value}",
			NoRecipients:         "plik nie ma odbiorców: dodaj wiersz To: lub wiersze X-Receiver:",
			BadAddress:           "adres {value} w nagłówku {header} (wiersz {line}) jest nieprawidłowy",
			FromTooLong:          "nagłówek From zbudowany z [message] from_name i from jest za długi na wiersz nagłówka poczty; skróć from_name",
			HeaderTooLongUTF8:    "nagłówek {header} (wiersz {line}) po przekształceniu na UTF-8 jest za długi, by go wysłać",
			HeaderTooLongEncoded: "nagłówek {header} (wiersz {line}) po zakodowaniu jest za długi, by go wysłać",
			RelayTooLarge:        "serwer pocztowy przyjmuje najwyżej {limit} (SIZE {max}); ta wiadomość ma {size}",
		},
	},
	"cs": {
		plural: pluralCS,
		bytes:  [3]string{"bajt", "bajty", "bajtů"},
		chars:  [3]string{"znak", "znaky", "znaků"},
		units:  [3]string{"KB", "MB", "GB"},
		point:  ",",
		texts: map[DetailID]string{
			NotAMessage:          "soubor nelze přečíst jako e-mailovou zprávu",
			EmptyFile:            "soubor je prázdný",
			FileTooLarge:         "soubor má {size}; [spool] max_size povoluje nejvýše {limit}",
			NULBytes:             "soubor obsahuje bajty NUL (první na řádku {line}), takže nejde o textovou zprávu — nedostal se do fronty binární soubor?",
			HeaderNotUTF8:        "hlavička {header} (řádek {line}) obsahuje bajty, které nejsou v UTF-8; nastavte [spool] charset na kódovou stránku, ve které zapisuje knihovní systém, např. windows-1252",
			HeaderCharset:        "hlavičku {header} (řádek {line}) nelze přečíst jako {charset}; zkontrolujte [spool] charset",
			Continuation:         "řádek {line} začíná mezerou nebo tabulátorem, ale před ním není žádné pole hlavičky, na které by navazoval: soubor musí začínat polem hlavičky, například \"To: ...\"",
			NotAHeader:           "řádek {line} není pole hlavičky ({value}): hlavičky musí být od textu zprávy odděleny prázdným řádkem",
			NoHeader:             "soubor nemá žádná pole hlavičky: zpráva musí začínat řádky jako \"To: ...\" a \"Subject: ...\", potom prázdný řádek a potom text",
			LineTooLong:          "řádek {line} má {chars}; e-mail povoluje nejvýše {max}",
			BodyNotUTF8:          "text zprávy obsahuje bajty, které nejsou v UTF-8, a žádná hlavička Content-Type neuvádí jeho kódování; nastavte [spool] charset na kódovou stránku, ve které zapisuje knihovní systém, např. windows-1252",
			SenderNotOne:         "hlavička X-Sender (řádek {line}) musí obsahovat právě jednu adresu, ne {value}",
			NoRecipients:         "soubor nemá žádné příjemce: přidejte řádek To: nebo řádky X-Receiver:",
			BadAddress:           "adresa {value} v hlavičce {header} (řádek {line}) není platná",
			FromTooLong:          "hlavička From sestavená z [message] from_name a from je na řádek hlavičky e-mailu příliš dlouhá; zkraťte from_name",
			HeaderTooLongUTF8:    "hlavička {header} (řádek {line}) je po převodu do UTF-8 příliš dlouhá na odeslání",
			HeaderTooLongEncoded: "hlavička {header} (řádek {line}) je po zakódování příliš dlouhá na odeslání",
			RelayTooLarge:        "poštovní server přijímá nejvýše {limit} (SIZE {max}); tato zpráva má {size}",
		},
	},
	"ru": {
		plural: pluralSlavic(true),
		bytes:  [3]string{"байт", "байта", "байт"},
		chars:  [3]string{"символ", "символа", "символов"},
		units:  [3]string{"КБ", "МБ", "ГБ"},
		point:  ",",
		texts: map[DetailID]string{
			NotAMessage:          "файл не удаётся прочитать как почтовое сообщение",
			EmptyFile:            "файл пуст",
			FileTooLarge:         "размер файла — {size}; [spool] max_size допускает не более {limit}",
			NULBytes:             "в файле есть байты NUL (первый — в строке {line}), значит, это не текстовое сообщение — не попал ли в очередь двоичный файл?",
			HeaderNotUTF8:        "заголовок {header} (строка {line}) содержит байты не в UTF-8; укажите в [spool] charset кодовую страницу, в которой пишет библиотечная система, например windows-1252",
			HeaderCharset:        "заголовок {header} (строка {line}) не читается в кодировке {charset}; проверьте [spool] charset",
			Continuation:         "строка {line} начинается с пробела или табуляции, но перед ней нет поля заголовка, которое она могла бы продолжать: файл должен начинаться с поля заголовка, например \"To: ...\"",
			NotAHeader:           "строка {line} не является полем заголовка ({value}): заголовки должны отделяться от текста письма пустой строкой",
			NoHeader:             "в файле нет полей заголовка: сообщение должно начинаться со строк вида \"To: ...\" и \"Subject: ...\", затем пустая строка, затем текст",
			LineTooLong:          "длина строки {line} — {chars}, а почта допускает не более {max}",
			BodyNotUTF8:          "текст сообщения содержит байты не в UTF-8, и ни один заголовок Content-Type не указывает его кодировку; укажите в [spool] charset кодовую страницу, в которой пишет библиотечная система, например windows-1252",
			SenderNotOne:         "заголовок X-Sender (строка {line}) должен содержать ровно один адрес, а не {value}",
			NoRecipients:         "в файле нет получателей: добавьте строку To: или строки X-Receiver:",
			BadAddress:           "адрес {value} в заголовке {header} (строка {line}) недействителен",
			FromTooLong:          "заголовок From, составленный из [message] from_name и from, слишком длинный для строки заголовка письма; сократите from_name",
			HeaderTooLongUTF8:    "заголовок {header} (строка {line}) после перевода в UTF-8 слишком длинный для отправки",
			HeaderTooLongEncoded: "заголовок {header} (строка {line}) после кодирования слишком длинный для отправки",
			RelayTooLarge:        "почтовый сервер принимает не более {limit} (SIZE {max}); размер этого сообщения — {size}",
		},
	},
}
