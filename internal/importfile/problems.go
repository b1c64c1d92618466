package importfile

import "fmt"

// Problem reasons.
const (
	ReasonRowMalformed    = "ROW_MALFORMED"
	ReasonFieldRequired   = "FIELD_REQUIRED"
	ReasonFieldInvalid    = "FIELD_INVALID"
	ReasonFieldUnknown    = "FIELD_UNKNOWN"
	ReasonEncodingInvalid = "ENCODING_INVALID"
)

// Problem descriptions. They are fixed text with at most integer verbs: a
// description never holds a value from the file (personal data), which the
// fuzz test checks against this list.
const (
	descBareQuote      = `a quote inside a cell that does not start with a quote; quote the cell (a quote inside written as "") or read with lazy quotes`
	descQuote          = `a quoted cell is not closed properly; lines %d to %d were read as this row`
	descLongRow        = `the row has %d cells and the header %d: a delimiter inside an unquoted cell shifts the columns`
	descCSVOther       = `the row cannot be read as CSV`
	descNotUTF8        = `the cell is not valid UTF-8; read the file as Windows-1252 (encoding option)`
	descNoExternalID   = `no external id: it is the key of the import`
	descPhoneNumberFmt = `the phone number is in spreadsheet number format (like 3,16E+10) and its digits are lost; format the column as text before exporting`
	descNoHouseNumber  = `a postcode without a house number; the address is left out`
	descNoPostcode     = `a house number without a postcode; the address is left out`
	descBadHouseNumber = `the house number does not start with a number; the address is left out`
	descBigHouseNumber = `the house number is too large; the address is left out`
	descJSONSyntax     = `not a JSON object of an ImportRecord (syntax error at column %d)`
	descJSONSyntaxNoAt = `not a JSON object of an ImportRecord`
	descJSONUnknown    = `a field an ImportRecord does not have`
	descJSONInvalid    = `a value of the wrong type or form for this field`
	descJSONNotUTF8    = `the line is not valid UTF-8`
	descLineTooLong    = `the line is longer than %d bytes`
)

// descriptionTemplates lists every description, for tests.
var descriptionTemplates = []string{
	descBareQuote, descQuote, descLongRow, descCSVOther, descNotUTF8, descNoExternalID,
	descPhoneNumberFmt, descNoHouseNumber, descNoPostcode, descBadHouseNumber, descBigHouseNumber,
	descJSONSyntax, descJSONSyntaxNoAt, descJSONUnknown, descJSONInvalid, descJSONNotUTF8, descLineTooLong,
}

// describe formats a description from a template and integers only.
func describe(template string, n ...int) string {
	if len(n) == 0 {
		return template
	}
	args := make([]any, len(n))
	for i, v := range n {
		args[i] = v
	}
	return fmt.Sprintf(template, args...)
}
