package cause

import "slices"

// AddressBounced is a recipient not sent to because the address
// hard-bounced within [bounces] suppress_days: a report that came back
// (package bounces) said it does not exist or is disabled. spoolgate
// bounces --forget lifts it.
const AddressBounced Cause = "address-bounced"

// bouncedTexts are AddressBounced's words; the caller adds the date of
// the bounce and the address.
var bouncedTexts = map[string]text{
	"en": {"address bounced",
		"The recipient's address bounced recently, so spoolgate does not send to it ([bounces] suppress).",
		"Correct the patron's e-mail address in the library system, or, if it works again, run spoolgate bounces --forget with the address."},
	"sv": {"adressen studsade",
		"Mottagarens adress studsade nyligen, så spoolgate skickar inte till den ([bounces] suppress).",
		"Rätta låntagarens e-postadress i bibliotekssystemet, eller, om den fungerar igen, kör spoolgate bounces --forget med adressen."},
	"nb": {"adressen ga permanent feil",
		"Mottakerens adresse ga nylig en permanent feil i retur, så spoolgate sender ikke til den ([bounces] suppress).",
		"Rett lånerens e-postadresse i biblioteksystemet, eller kjør spoolgate bounces --forget med adressen hvis den virker igjen."},
	"pl": {"adres odrzucony",
		"Adres odbiorcy został niedawno odrzucony na stałe, więc spoolgate do niego nie wysyła ([bounces] suppress).",
		"Popraw adres e-mail czytelnika w systemie bibliotecznym albo, jeśli znów działa, uruchom spoolgate bounces --forget z tym adresem."},
	"cs": {"adresa odmítnuta",
		"Adresa příjemce byla nedávno trvale odmítnuta, proto na ni spoolgate neodesílá ([bounces] suppress).",
		"Opravte e-mailovou adresu čtenáře v knihovním systému, nebo pokud opět funguje, spusťte spoolgate bounces --forget s touto adresou."},
	"ru": {"адрес отклонён",
		"Адрес получателя недавно был отклонён навсегда, поэтому spoolgate на него не отправляет ([bounces] suppress).",
		"Исправьте адрес электронной почты читателя в библиотечной системе или, если он снова работает, запустите spoolgate bounces --forget с этим адресом."},
}

func init() {
	all = slices.Insert(all, slices.Index(all, AlreadySent)+1, AddressBounced)
	for lang, t := range bouncedTexts {
		if ts, ok := texts[lang]; ok {
			ts[AddressBounced] = t
		}
	}
}
