package daily

import (
	"fmt"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/bounces"
	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/journal"
)

// Bounces is what came back to the return path on the day, as package
// bounces recorded it (journal.Bounces): the addresses that hard-bounced,
// to be corrected in the library system, with the patron's name where
// the notice carried it; the policy refusals of the library's own mail,
// for IT; and how many soft bounces there were. Nil when nothing came
// back (or there is no journal).
type Bounces struct {
	Hard   []Bounced // one per address, the day's latest, oldest first
	Policy []Bounced
	Soft   int
	Err    string // the reports could not be read: why
}

// Bounced is one recipient's report.
type Bounced struct {
	journal.BounceRecord
	Name string // the patron's name, from the notice's To (bounces.Names); "" when unknown
}

// explain is what the report says of a bounce, in language lang: its
// cause, what that means and what to do, and the receiving server's reply
// (the status code, then its words). The text and the JSON both use it.
func (it Bounced) explain(lang string) (c cause.Cause, meaning, action, reply string) {
	c = bounceCause(it.Class, it.Status)
	meaning, action = cause.Explain(lang, c)
	reply = it.Diagnostic
	if !strings.Contains(reply, it.Status) {
		reply = strings.TrimSpace(it.Status + " " + reply)
	}
	return c, meaning, action, reply
}

// readBounces reads the day's reports.
func (r *Report) readBounces(start, end time.Time) {
	if r.journal == nil {
		return
	}
	recs, err := r.journal.Bounces(start, end, journal.StatusBounced, 0)
	if err != nil {
		r.Bounces = &Bounces{Err: err.Error()}
		return
	}
	if len(recs) == 0 {
		return
	}
	names, _ := bounces.Names(r.cfg.Spool.Data) // without names, the addresses alone
	b := &Bounces{}
	hard := map[string]int{}
	for _, rec := range recs {
		x := Bounced{BounceRecord: rec, Name: names[strings.ToLower(rec.Address)]}
		switch rec.Class {
		case "hard":
			if i, ok := hard[rec.Address]; ok {
				b.Hard[i] = x
				continue
			}
			hard[rec.Address] = len(b.Hard)
			b.Hard = append(b.Hard, x)
		case "policy":
			b.Policy = append(b.Policy, x)
		default:
			b.Soft++
		}
	}
	r.Bounces = b
	w := bounceWordsFor(r.Lang)
	if n := len(b.Hard); n > 0 {
		r.warn("bounced", r.plural(w.WarnHard, n), n)
	}
	if n := len(b.Policy); n > 0 {
		r.warn("mail-refused", r.plural(w.WarnPolicy, n), n)
	}
}

// bounceCause is what a bounce of class and status means, in package
// cause's words.
func bounceCause(class, status string) cause.Cause {
	switch {
	case class == "policy":
		return cause.ReceiverPolicy
	case status == "5.1.3":
		return cause.BadAddress
	case status == "5.2.1":
		return cause.MailboxDisabled
	case class == "hard":
		return cause.AddressUnknown
	case status == "5.2.2" || status == "4.2.2":
		return cause.MailboxFull
	case status == "5.3.4" || status == "5.2.3":
		return cause.ReceiverTooLarge
	}
	return cause.Refused
}

// writeBounces writes the sections of the day's bounces, when there is
// something to say: the addresses to correct, the library's mail
// refused (for IT), and the count of soft bounces.
func (r *Report) writeBounces(b *strings.Builder, heading func(string)) {
	x := r.Bounces
	if x == nil {
		return
	}
	w := bounceWordsFor(r.Lang)
	t := r.t
	if x.Err != "" {
		heading(w.HHard)
		fmt.Fprintf(b, w.Err+"\n", x.Err)
		return
	}
	list := func(items []Bounced) {
		field := fields(b, t.LMessage, t.LReason, t.LReply, t.LToDo)
		for i, it := range items {
			if i == maxFailures {
				fmt.Fprintf(b, w.More+"\n", len(items)-i)
				break
			}
			who := it.Address
			if it.Name != "" {
				who = oneLine(it.Name) + " <" + it.Address + ">"
			}
			fmt.Fprintf(b, "%3d. %s, %s\n", i+1, who, r.dateTime(it.At))
			if it.File != "" {
				desc := it.File + ", " + r.kindOne(it.Kind)
				if it.Subject != "" {
					desc = fmt.Sprintf("\"%s\" (%s)", oneLine(it.Subject), desc)
				}
				field(t.LMessage, desc)
			}
			_, meaning, action, reply := it.explain(r.Lang)
			field(t.LReason, meaning)
			field(t.LReply, withServer(reply, it.RemoteMTA))
			field(t.LToDo, action)
		}
	}
	if len(x.Hard) > 0 {
		heading(fmt.Sprintf("%s (%d)", w.HHard, len(x.Hard)))
		fmt.Fprintf(b, "%s\n\n", w.HardNote)
		list(x.Hard)
	}
	if len(x.Policy) > 0 {
		heading(fmt.Sprintf("%s (%d)", w.HPolicy, len(x.Policy)))
		fmt.Fprintf(b, "%s\n\n", w.PolicyNote)
		list(x.Policy)
	}
	if x.Soft > 0 {
		if len(x.Hard) == 0 && len(x.Policy) == 0 {
			heading(w.HHard)
		} else {
			b.WriteString("\n")
		}
		fmt.Fprintf(b, r.plural(w.SoftN, x.Soft)+"\n", x.Soft)
	}
}

// bounceText is the words of the bounce sections in one language; SoftN
// holds the plural forms as texts does.
type bounceText struct {
	HHard, HardNote, HPolicy, PolicyNote string
	SoftN                                []string
	// WarnHard and WarnPolicy are the warnings (plural forms) that keep
	// the day from being all well: addresses to correct, mail refused.
	WarnHard, WarnPolicy []string
	More, Err            string
}

var bounceWords = map[string]*bounceText{
	"en": {
		WarnHard:   []string{"%d patron address to correct in the library system (it bounced).", "%d patron addresses to correct in the library system (they bounced)."},
		WarnPolicy: []string{"%d refusal of the library's own mail (spam filter, SPF, DKIM or DMARC): for IT.", "%d refusals of the library's own mail (spam filter, SPF, DKIM or DMARC): for IT."},
		HHard:      "ADDRESSES TO CORRECT IN THE LIBRARY SYSTEM",
		HardNote:   "The patrons' mail systems refused these addresses for good after the relay took the notice: the patron did not get it.",
		HPolicy:    "THE LIBRARY'S MAIL REFUSED: FOR IT",
		PolicyNote: "These servers refused the library's mail itself (a spam filter, SPF, DKIM or DMARC), not the patron's address: a problem with the library's sending, for IT.",
		SoftN: []string{"%d soft bounce (a full mailbox, a message too large, a passing failure): nothing to correct; later notices go out as usual.",
			"%d soft bounces (a full mailbox, a message too large, a passing failure): nothing to correct; later notices go out as usual."},
		More: "… and %d more: spoolgate sent --status bounced lists them all.",
		Err:  "The bounces of the day could not be read from the journal: %s",
	},
	"sv": {
		WarnHard:   []string{"%d låntagaradress att rätta i bibliotekssystemet (den studsade).", "%d låntagaradresser att rätta i bibliotekssystemet (de studsade)."},
		WarnPolicy: []string{"%d avvisning av bibliotekets egen e-post (skräppostfilter, SPF, DKIM eller DMARC): för IT.", "%d avvisningar av bibliotekets egen e-post (skräppostfilter, SPF, DKIM eller DMARC): för IT."},
		HHard:      "ADRESSER ATT RÄTTA I BIBLIOTEKSSYSTEMET",
		HardNote:   "Låntagarnas e-postsystem avvisade dessa adresser för gott efter att reläet tagit emot meddelandet: låntagaren fick det inte.",
		HPolicy:    "BIBLIOTEKETS E-POST AVVISAD: FÖR IT",
		PolicyNote: "Dessa servrar avvisade själva bibliotekets e-post (skräppostfilter, SPF, DKIM eller DMARC), inte låntagarens adress: ett problem med bibliotekets utskick, för IT.",
		SoftN: []string{"%d mjuk studs (full brevlåda, för stort meddelande, tillfälligt fel): inget att rätta; senare meddelanden skickas som vanligt.",
			"%d mjuka studsar (full brevlåda, för stort meddelande, tillfälligt fel): inget att rätta; senare meddelanden skickas som vanligt."},
		More: "… och %d till: spoolgate sent --status bounced visar alla.",
		Err:  "Dagens studsar kunde inte läsas ur journalen: %s",
	},
	"nb": {
		WarnHard:   []string{"%d låneradresse som må rettes i biblioteksystemet (den ble returnert).", "%d låneradresser som må rettes i biblioteksystemet (de ble returnert)."},
		WarnPolicy: []string{"%d avvisning av bibliotekets egen e-post (søppelpostfilter, SPF, DKIM eller DMARC): for IT.", "%d avvisninger av bibliotekets egen e-post (søppelpostfilter, SPF, DKIM eller DMARC): for IT."},
		HHard:      "ADRESSER SOM MÅ RETTES I BIBLIOTEKSYSTEMET",
		HardNote:   "Lånernes e-postsystemer avviste disse adressene for godt etter at reléet tok imot varselet: låneren fikk det ikke.",
		HPolicy:    "BIBLIOTEKETS E-POST AVVIST: FOR IT",
		PolicyNote: "Disse serverne avviste selve bibliotekets e-post (søppelpostfilter, SPF, DKIM eller DMARC), ikke lånerens adresse: et problem med bibliotekets utsending, for IT.",
		SoftN: []string{"%d myk retur (full innboks, for stor melding, forbigående feil): ingenting å rette; senere varsler sendes som vanlig.",
			"%d myke returer (full innboks, for stor melding, forbigående feil): ingenting å rette; senere varsler sendes som vanlig."},
		More: "… og %d til: spoolgate sent --status bounced viser alle.",
		Err:  "Dagens returer kunne ikke leses fra journalen: %s",
	},
	"pl": {
		WarnHard:   []string{"%d adres czytelnika do poprawienia w systemie bibliotecznym (odbity).", "%d adresy czytelników do poprawienia w systemie bibliotecznym (odbite).", "%d adresów czytelników do poprawienia w systemie bibliotecznym (odbite)."},
		WarnPolicy: []string{"%d odrzucenie poczty samej biblioteki (filtr spamu, SPF, DKIM lub DMARC): dla IT.", "%d odrzucenia poczty samej biblioteki (filtr spamu, SPF, DKIM lub DMARC): dla IT.", "%d odrzuceń poczty samej biblioteki (filtr spamu, SPF, DKIM lub DMARC): dla IT."},
		HHard:      "ADRESY DO POPRAWIENIA W SYSTEMIE BIBLIOTECZNYM",
		HardNote:   "Systemy pocztowe czytelników odrzuciły te adresy na stałe, gdy serwer pośredniczący przyjął już powiadomienie: czytelnik go nie otrzymał.",
		HPolicy:    "POCZTA BIBLIOTEKI ODRZUCONA: DLA IT",
		PolicyNote: "Te serwery odrzuciły samą pocztę biblioteki (filtr spamu, SPF, DKIM lub DMARC), a nie adres czytelnika: to problem z wysyłką biblioteki, dla IT.",
		SoftN: []string{"%d miękkie odbicie (pełna skrzynka, za duża wiadomość, chwilowy błąd): nic do poprawienia; kolejne powiadomienia wychodzą jak zwykle.",
			"%d miękkie odbicia (pełna skrzynka, za duża wiadomość, chwilowy błąd): nic do poprawienia; kolejne powiadomienia wychodzą jak zwykle.",
			"%d miękkich odbić (pełna skrzynka, za duża wiadomość, chwilowy błąd): nic do poprawienia; kolejne powiadomienia wychodzą jak zwykle."},
		More: "… i %d więcej: spoolgate sent --status bounced pokazuje wszystkie.",
		Err:  "Nie udało się odczytać z dziennika dzisiejszych odbić: %s",
	},
	"cs": {
		WarnHard:   []string{"%d adresa čtenáře k opravě v knihovním systému (vrátila se).", "%d adresy čtenářů k opravě v knihovním systému (vrátily se).", "%d adres čtenářů k opravě v knihovním systému (vrátily se)."},
		WarnPolicy: []string{"%d odmítnutí pošty samotné knihovny (spamový filtr, SPF, DKIM nebo DMARC): pro IT.", "%d odmítnutí pošty samotné knihovny (spamový filtr, SPF, DKIM nebo DMARC): pro IT.", "%d odmítnutí pošty samotné knihovny (spamový filtr, SPF, DKIM nebo DMARC): pro IT."},
		HHard:      "ADRESY K OPRAVĚ V KNIHOVNÍM SYSTÉMU",
		HardNote:   "Poštovní systémy čtenářů tyto adresy trvale odmítly poté, co předávací server upozornění přijal: čtenář je nedostal.",
		HPolicy:    "POŠTA KNIHOVNY ODMÍTNUTA: PRO IT",
		PolicyNote: "Tyto servery odmítly samotnou poštu knihovny (spamový filtr, SPF, DKIM nebo DMARC), ne adresu čtenáře: jde o problém s odesíláním knihovny, pro IT.",
		SoftN: []string{"%d měkké odmítnutí (plná schránka, příliš velká zpráva, přechodná chyba): není co opravovat; další upozornění odcházejí jako obvykle.",
			"%d měkká odmítnutí (plná schránka, příliš velká zpráva, přechodná chyba): není co opravovat; další upozornění odcházejí jako obvykle.",
			"%d měkkých odmítnutí (plná schránka, příliš velká zpráva, přechodná chyba): není co opravovat; další upozornění odcházejí jako obvykle."},
		More: "… a %d dalších: spoolgate sent --status bounced vypíše všechna.",
		Err:  "Dnešní odmítnutí nešlo přečíst z deníku: %s",
	},
	"ru": {
		WarnHard:   []string{"%d адрес читателя нужно исправить в библиотечной системе (письмо вернулось).", "%d адреса читателей нужно исправить в библиотечной системе (письма вернулись).", "%d адресов читателей нужно исправить в библиотечной системе (письма вернулись)."},
		WarnPolicy: []string{"%d отказ в приёме почты самой библиотеки (спам-фильтр, SPF, DKIM или DMARC): для ИТ.", "%d отказа в приёме почты самой библиотеки (спам-фильтр, SPF, DKIM или DMARC): для ИТ.", "%d отказов в приёме почты самой библиотеки (спам-фильтр, SPF, DKIM или DMARC): для ИТ."},
		HHard:      "АДРЕСА, КОТОРЫЕ НУЖНО ИСПРАВИТЬ В БИБЛИОТЕЧНОЙ СИСТЕМЕ",
		HardNote:   "Почтовые системы читателей окончательно отклонили эти адреса уже после того, как сервер-ретранслятор принял уведомление: читатель его не получил.",
		HPolicy:    "ПОЧТА БИБЛИОТЕКИ ОТКЛОНЕНА: ДЛЯ IT",
		PolicyNote: "Эти серверы отклонили саму почту библиотеки (спам-фильтр, SPF, DKIM или DMARC), а не адрес читателя: это проблема отправки почты библиотекой, для IT.",
		SoftN: []string{"%d мягкий возврат (переполненный ящик, слишком большое сообщение, временная ошибка): исправлять нечего; следующие уведомления уходят как обычно.",
			"%d мягких возврата (переполненный ящик, слишком большое сообщение, временная ошибка): исправлять нечего; следующие уведомления уходят как обычно.",
			"%d мягких возвратов (переполненный ящик, слишком большое сообщение, временная ошибка): исправлять нечего; следующие уведомления уходят как обычно."},
		More: "… и ещё %d: spoolgate sent --status bounced покажет все.",
		Err:  "Не удалось прочитать из журнала возвраты за день: %s",
	},
}

// bounceWordsFor is the bounce sections' words in lang, English when it
// has none.
func bounceWordsFor(lang string) *bounceText {
	if w := bounceWords[lang]; w != nil {
		return w
	}
	return bounceWords["en"]
}
