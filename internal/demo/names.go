package demo

import "strings"

// The name lists below follow the make-up of the Dutch population: mostly
// Dutch names (surnames with tussenvoegsels), and the Turkish, Moroccan,
// Surinamese, Polish and expat names any Dutch contact centre sees daily.

type origin uint8

const (
	originDutch origin = iota
	originTurkish
	originMoroccan
	originSurinamese
	originPolish
	originExpat
	originEnd
)

// originWeights are per mille, in origin order.
var originWeights = [originEnd]int{780, 50, 50, 40, 30, 50}

type namePool struct {
	female, male, surnames []string
}

var namePools = [originEnd]namePool{
	originDutch: {
		female: []string{
			"Anna", "Emma", "Sophie", "Julia", "Lotte", "Sanne", "Fleur", "Lisa", "Eva", "Iris",
			"Femke", "Anouk", "Noa", "Tess", "Lieke", "Maud", "Marieke", "Ingrid", "Els", "Annemiek",
			"Wilma", "Petra", "Monique", "Linda", "Esther", "Karin", "Ria", "Greetje", "Hanneke", "Joke",
			"Mirjam", "Nicole", "Yvonne", "Saskia", "Ilse", "Roos", "Zoë", "Daphne", "Marloes", "Renée",
		},
		male: []string{
			"Jan", "Pieter", "Daan", "Sem", "Lucas", "Bram", "Thijs", "Jesse", "Ruben", "Lars",
			"Stijn", "Tim", "Niels", "Joost", "Maarten", "Wouter", "Bas", "Sander", "Erik", "Kees",
			"Henk", "Gerrit", "Wim", "Johan", "Willem", "Dirk", "Hans", "Frank", "Martijn", "Jeroen",
			"Koen", "Thomas", "Ruud", "Arjen", "Teun", "Floris", "Gijs", "Luuk", "André", "Sjoerd",
		},
		surnames: []string{
			"de Vries", "Jansen", "de Jong", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
			"Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
			"van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer",
			"van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel", "van der Veen",
			"van den Broek", "de Bruijn", "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet",
			"van de Ven", "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal", "Prins",
			"Blom", "Huisman", "de Jonge", "Kuipers", "van Veen", "Post", "Veenstra", "Kramer",
			"van den Brink", "Scholten", "van Wijk", "Postma", "Vink", "de Ruiter", "Timmermans", "Groen",
			"Gerritsen", "Jonker", "van Loon", "van der Velde", "Smeets", "de Lange", "Bosch", "van Dongen",
			"de Koning", "van der Laan", "Driessen", "van Doorn", "Hermans", "van den Bosch",
			"van der Meulen", "Hofman", "Wolters", "van der Horst", "Molenaar", "de Leeuw", "Verbeek",
			"'t Hart", "in 't Veld", "ter Haar", "van 't Hof", "Sluijter", "Hoogendoorn", "Zwart",
		},
	},
	originTurkish: {
		female:   []string{"Ayşe", "Elif", "Zeynep", "Fatma", "Emine", "Merve", "Büşra", "Esra", "Hatice", "Derya"},
		male:     []string{"Mehmet", "Mustafa", "Emre", "Burak", "Murat", "Hasan", "Hüseyin", "Kemal", "Ali", "Serkan"},
		surnames: []string{"Yıldız", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın", "Arslan", "Doğan", "Koç", "Kılıç", "Aksoy"},
	},
	originMoroccan: {
		female:   []string{"Fatima", "Khadija", "Nadia", "Samira", "Loubna", "Imane", "Naima", "Hanan", "Salma", "Yasmina"},
		male:     []string{"Mohamed", "Youssef", "Said", "Bilal", "Mounir", "Hamza", "Rachid", "Karim", "Ayoub", "Nordin"},
		surnames: []string{"El Amrani", "Bouzid", "Benali", "El Idrissi", "Azzouzi", "Ouali", "El Khatib", "Boukhari", "Tahiri", "Ait Ouaddou", "Haddouchi", "El Hamdaoui"},
	},
	originSurinamese: {
		female:   []string{"Shanti", "Priya", "Sharmila", "Natasja", "Ruth", "Anjali", "Chandra", "Sabitri", "Romy", "Kavita"},
		male:     []string{"Rajesh", "Ravi", "Dinesh", "Clyde", "Romano", "Sunil", "Errol", "Dennis", "Anand", "Marvin"},
		surnames: []string{"Ramdin", "Sewnarain", "Kartosen", "Pinas", "Biharie", "Lachmon", "Wijngaarde", "Kerwel", "Ramsaran", "Doekhie", "Mangroe", "Brunings"},
	},
	originPolish: {
		female:   []string{"Katarzyna", "Agnieszka", "Magdalena", "Joanna", "Anna", "Monika", "Ewa", "Karolina"},
		male:     []string{"Piotr", "Tomasz", "Krzysztof", "Paweł", "Marcin", "Michał", "Łukasz", "Jakub"},
		surnames: []string{"Nowak", "Wójcik", "Kaczmarek", "Mazur", "Krawczyk", "Zając", "Król", "Wieczorek", "Jabłoński", "Dudek"},
	},
	originExpat: {
		female:   []string{"Emily", "Olivia", "Priya", "Hannah", "Laura", "Chloé", "Giulia", "Sofia", "Mei", "Aisha"},
		male:     []string{"James", "Oliver", "Arjun", "Lukas", "Matteo", "Pierre", "David", "Daniel", "Wei", "Carlos"},
		surnames: []string{"Smith", "Wilson", "Taylor", "Sharma", "Patel", "Müller", "Schneider", "Rossi", "Dubois", "García", "Chen", "O'Brien"},
	},
}

// foldASCII maps the letters used in the name lists to ASCII, as people do
// when they pick an e-mail address or a social handle.
var foldASCII = strings.NewReplacer(
	"ı", "i", "ş", "s", "Ş", "S", "ç", "c", "Ç", "C", "ö", "o", "Ö", "O", "ü", "u", "Ü", "U",
	"ğ", "g", "é", "e", "è", "e", "ë", "e", "ï", "i", "í", "i", "á", "a", "à", "a", "ó", "o",
	"ł", "l", "Ł", "L", "ń", "n", "ś", "s", "ź", "z", "ż", "z", "ą", "a", "ę", "e", "ć", "c",
)

// slug returns s folded to ASCII, lower-cased, with everything but letters and
// digits dropped: "in 't Veld" → "intveld".
func slug(s string) string {
	s = strings.ToLower(foldASCII.Replace(s))
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// slugWords is slug per word, joined with sep: ("van der Meer", ".") → "van.der.meer".
func slugWords(s, sep string) string {
	var parts []string
	for _, w := range strings.Fields(s) {
		if w = slug(w); w != "" {
			parts = append(parts, w)
		}
	}
	return strings.Join(parts, sep)
}

// lastWord is the surname without tussenvoegsels: "van der Meer" → "Meer".
func lastWord(s string) string {
	f := strings.Fields(s)
	return f[len(f)-1]
}

// capitalizeSurname writes a surname as it stands without a first name before
// it: "van der Meer" → "Van der Meer", "'t Hart" → "'t Hart".
func capitalizeSurname(s string) string {
	if s == "" || s[0] == '\'' {
		return s
	}
	r := []rune(s)
	r[0] = []rune(strings.ToUpper(string(r[0])))[0]
	return string(r)
}

// Places the data refers to: area codes (national format, with their real
// town) for landlines, and towns for stores and regional outages.
var areaCodes = []string{
	"010", "013", "015", "020", "023", "024", "026", "030", "033", "035", "036", "038", "040",
	"043", "045", "046", "050", "053", "055", "058", "070", "071", "072", "073", "074", "075",
	"076", "077", "078", "079", "0113", "0118", "0162", "0172", "0182", "0229", "0251", "0294",
	"0299", "0318", "0345", "0475", "0513", "0570", "0591",
}

var regions = []string{
	"Amsterdam-Noord", "Rotterdam-Zuid", "Utrecht", "Den Haag", "Eindhoven", "Groningen", "Zwolle",
	"Almere", "Breda", "Nijmegen", "Haarlem", "Leeuwarden", "Enschede", "Maastricht", "Amersfoort",
}

var stores = []string{
	"winkel-amsterdam-kalverstraat", "winkel-rotterdam-lijnbaan", "winkel-utrecht-centrum",
	"winkel-den-haag-spuistraat", "winkel-eindhoven", "winkel-groningen", "winkel-almere",
}

var emailDomains = []weighted[string]{
	{"gmail.com", 25}, {"hotmail.com", 16}, {"outlook.com", 10}, {"ziggo.nl", 10},
	{"kpnmail.nl", 8}, {"live.nl", 7}, {"icloud.com", 6}, {"xs4all.nl", 4}, {"planet.nl", 4},
	{"hetnet.nl", 3}, {"example.nl", 7},
}

var allTags = []weighted[string]{ // weight: per mille of customers with the tag
	{"vip", 30}, {"zakelijk", 60}, {"klacht-open", 40}, {"nieuwe-klant", 60},
	{"slechthorend", 20}, {"betalingsregeling", 30},
}

var trades = []string{
	"Installatiebedrijf", "Bakkerij", "Kapsalon", "Administratiekantoor", "Schildersbedrijf",
	"Fysiotherapie", "Autobedrijf", "Bloemenhuis", "Loodgietersbedrijf", "Adviesbureau",
}

var generalNotes = []string{
	"Belt liever na 17:00.",
	"Wil alleen per e-mail benaderd worden.",
	"Spreekt beperkt Nederlands; Engels gaat goed.",
	"Werkt in ploegendienst; bereikbaar tussen 10:00 en 14:00.",
	"Mantelzorger van moeder; belt soms namens haar.",
	"Heeft eerder geklaagd over wachttijd; graag direct terugbellen.",
	"Verhuist binnenkort; nieuw adres nog niet bekend.",
	"Zeer tevreden klant; doet mee aan klantenpanel.",
}
