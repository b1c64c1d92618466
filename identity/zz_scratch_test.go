package identity

import (
	"fmt"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

func TestZZScratch(t *testing.T) {
	for _, s := range []string{"06-12345678", "06 1234 5678", "(020) 123 45 67", "020-1234567", "+31 6 12345678", "+31 (0)6 12345678", "+31(0)612345678", "0031 6 12345678", "0031612345678", "tel:+31-6-1234-5678", "tel:+31-6-1234-5678;ext=12", "tel:+31-6-1234-5678;phone-context=x", "０６１２３４５６７８", "٠٦١٢٣٤٥٦٧٨", "+31 20 123 4567 ext. 12", "+31 20 123 4567 x12", "+31 20 123 4567 toestel 12", "+32 470 12 34 56", "+49 30 1234567", "+44 20 7946 0958", "+1 415 555 2671", "0800-FLOWERS", "+31 6 1234 567a", "06.12.34.56.78", "06/12345678", "06\u00a012345678", "06\u200912345678", "+31 6 12345678#12", "+31612345678;ext=12", "0612345678 ext 12", "+0", "0", "+000000", "00", "+31 (0) 20 1234567", "0031 (0)6 12345678", "+3106 12345678", "+1-800-FLOWERS", "1-800-356-9377", "++31612345678", "+31 6 12345678 ext 123456789"} {
		start := time.Now()
		n, err := phonenumbers.Parse(s, "NL")
		d := time.Since(start)
		if err != nil {
			fmt.Printf("%-35q ERR %v\n", s, err)
			continue
		}
		fmt.Printf("%-35q %s valid=%v ext=%q raw=%q %v\n", s, phonenumbers.Format(n, phonenumbers.E164), phonenumbers.IsValidNumber(n), n.GetExtension(), n.GetRawInput(), d)
	}
	fmt.Println(phonenumbers.GetSupportedRegions()["NL"], phonenumbers.GetCountryCodeForRegion("ZZ"), phonenumbers.GetCountryCodeForRegion("nl"))
}
