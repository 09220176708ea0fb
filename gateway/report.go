package gateway

import (
	"fmt"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/safefile"
)

// badReason is the reason a refused file is set aside with: the typed
// facts that spool records in the .BAD.txt file, and the text a librarian
// reads first, rendered from the cause in [log] language once spool has
// chosen the BAD name. Nothing here reads reply text: what a reply means
// was decided once, by cause.Of.
func (g *Gateway) badReason(e spool.Entry, f failure) spool.Reason {
	r := spool.Reason{
		File: e.Orig, Key: e.Key, At: g.now(), Cause: string(f.Cause),
		Server: f.Server, Reply: f.Reply, Limit: f.Detail,
	}
	for _, rc := range f.Recipients {
		r.Recipients = append(r.Recipients, spool.RecipientReason{Address: rc.Address, Cause: rc.Cause, Reply: rc.Reply})
	}
	lang := g.cfg.Log.Language
	facts := r
	r.Render = func(bad string) string { return BadText(lang, facts, bad) }
	return r
}

// BadText renders the part of a .BAD.txt file that people read, in the
// language lang: what happened and what to do (from the cause), the
// relay's exact reply, what spoolgate found itself (r.Limit, already in
// lang), every refused recipient with the relay's reply about it, and the
// one way to send the file again: by its original name, or by bad, the
// BAD file's name, when the original cannot be typed (see spool.Typable).
//
// Every value is one line with no control characters (spool.Escape), so
// that nothing in a file name, an address or a reply can forge a line.
func BadText(lang string, r spool.Reason, bad string) string {
	w := wordsFor(lang)
	var b strings.Builder
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s %s\r\n", label, value)
		}
	}
	b.WriteString(w.BadHead + "\r\n\r\n")
	meaning, action := cause.Explain(lang, cause.Cause(r.Cause))
	line(w.What, meaning)
	line(w.ToDo, action)
	b.WriteString("\r\n")
	line(w.File, spool.Escape(r.File))
	line(w.When, r.At.Format("2006-01-02 15:04:05 -0700"))
	line(w.Server, oneLine(r.Server))
	line(w.Reply, oneLine(r.Reply))
	line(w.Detail, oneLine(r.Limit))
	if len(r.Recipients) > 0 {
		fmt.Fprintf(&b, "%s\r\n", w.Refused)
		for _, rc := range r.Recipients {
			label := cause.Label(lang, cause.Cause(rc.Cause))
			if reply := oneLine(rc.Reply); reply != "" {
				fmt.Fprintf(&b, "  %s: %s (%s)\r\n", oneLine(rc.Address), label, reply)
			} else {
				fmt.Fprintf(&b, "  %s: %s\r\n", oneLine(rc.Address), label)
			}
		}
	}
	name := r.File
	if !spool.Typable(name) && bad != "" {
		name = bad
	}
	fmt.Fprintf(&b, "\r\n%s\r\n", fmt.Sprintf(w.Retry, spool.RetryCommand(name)))
	return b.String()
}

// oneLine is s on one line, its runs of white space made one space, and
// with no control characters (spool.Escape).
func oneLine(s string) string {
	return spool.Escape(strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " "))
}

// fileWords are what spoolgate says, in one language, of a queue entry it
// sets aside without reading it (cause not-a-file): the Detail of its
// .BAD.txt file, the journal and the daily log. NotAFile has one %s, the
// kind; NameTooLong one %d, the name's length in bytes.
type fileWords struct {
	NotAFile, NameTooLong string
	Kinds                 map[safefile.Kind]string
}

// fileLanguages holds every language of [log] language; a test checks that
// each is complete.
var fileLanguages = map[string]fileWords{
	"en": {
		NotAFile:    "it is %s, not a plain file; spoolgate did not read it",
		NameTooLong: "its name is too long to be taken from the queue (bytes: %d); it was set aside under a shorter name, and the original name is under File",
		Kinds: map[safefile.Kind]string{
			safefile.Link: "a symbolic link", safefile.Reparse: "a link or junction (reparse point)", safefile.Pipe: "a named pipe (FIFO)",
			safefile.Socket: "a socket", safefile.Device: "a device", safefile.Folder: "a folder", safefile.Other: "a special file",
		},
	},
	"sv": {
		NotAFile:    "det är %s, inte en vanlig fil; spoolgate läste den inte",
		NameTooLong: "namnet är för långt för att filen ska kunna hämtas ur kön (byte: %d); den lades åt sidan under ett kortare namn, och det ursprungliga namnet står under Fil",
		Kinds: map[safefile.Kind]string{
			safefile.Link: "en symbolisk länk", safefile.Reparse: "en länk eller knutpunkt (reparse point)", safefile.Pipe: "en namngiven pipe (FIFO)",
			safefile.Socket: "en socket", safefile.Device: "en enhet", safefile.Folder: "en mapp", safefile.Other: "en specialfil",
		},
	},
	"nb": {
		NotAFile:    "det er %s, ikke en vanlig fil; spoolgate leste den ikke",
		NameTooLong: "navnet er for langt til at filen kan hentes fra køen (byte: %d); den ble lagt til side under et kortere navn, og det opprinnelige navnet står under Fil",
		Kinds: map[safefile.Kind]string{
			safefile.Link: "en symbolsk lenke", safefile.Reparse: "en lenke eller et koblingspunkt (reparse point)", safefile.Pipe: "en navngitt pipe (FIFO)",
			safefile.Socket: "en socket", safefile.Device: "en enhet", safefile.Folder: "en mappe", safefile.Other: "en spesialfil",
		},
	},
	"pl": {
		NotAFile:    "to jest %s, a nie zwykły plik; spoolgate go nie odczytał",
		NameTooLong: "nazwa jest za długa, by pobrać plik z kolejki (bajtów: %d); odłożono go pod krótszą nazwą, a pierwotna nazwa jest w polu Plik",
		Kinds: map[safefile.Kind]string{
			safefile.Link: "dowiązanie symboliczne", safefile.Reparse: "dowiązanie lub punkt połączenia (reparse point)", safefile.Pipe: "potok nazwany (FIFO)",
			safefile.Socket: "gniazdo", safefile.Device: "urządzenie", safefile.Folder: "folder", safefile.Other: "plik specjalny",
		},
	},
	"cs": {
		NotAFile:    "je to %s, ne obyčejný soubor; spoolgate jej nečetl",
		NameTooLong: "název je příliš dlouhý na to, aby se soubor dal vzít z fronty (bajtů: %d); byl odložen pod kratším názvem a původní název je uveden u položky Soubor",
		Kinds: map[safefile.Kind]string{
			safefile.Link: "symbolický odkaz", safefile.Reparse: "odkaz nebo spojení (reparse point)", safefile.Pipe: "pojmenovaná roura (FIFO)",
			safefile.Socket: "socket", safefile.Device: "zařízení", safefile.Folder: "složka", safefile.Other: "speciální soubor",
		},
	},
	"ru": {
		NotAFile:    "это %s, а не обычный файл; spoolgate его не читал",
		NameTooLong: "имя слишком длинное, чтобы взять файл из очереди (байт: %d); он отложен под более коротким именем, а исходное имя указано в поле Файл",
		Kinds: map[safefile.Kind]string{
			safefile.Link: "символическая ссылка", safefile.Reparse: "ссылка или точка соединения (reparse point)", safefile.Pipe: "именованный канал (FIFO)",
			safefile.Socket: "сокет", safefile.Device: "устройство", safefile.Folder: "папка", safefile.Other: "специальный файл",
		},
	},
}

// fileWordsFor returns the words of lang, English for a language it lacks.
func fileWordsFor(lang string) fileWords {
	if w, ok := fileLanguages[lang]; ok {
		return w
	}
	return fileLanguages["en"]
}

// notAFileText is the Detail of an entry of kind k, in lang.
func notAFileText(lang string, k safefile.Kind) string {
	w := fileWordsFor(lang)
	kind, ok := w.Kinds[k]
	if !ok {
		kind = w.Kinds[safefile.Other]
	}
	return fmt.Sprintf(w.NotAFile, kind)
}
