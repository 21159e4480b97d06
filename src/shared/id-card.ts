/** Resident ID card numbers (GB 11643-1999): the checks every record holding one applies. */

const idCardWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const idCardCheckChars = "10X98765432";

/** GB 11643-1999: 17 digits and a check character (ISO 7064 MOD 11-2). Expects the normalised (upper-case) form. */
export function idCardChecksumValid(value: string): boolean {
  if (!/^\d{17}[\dX]$/.test(value)) return false;
  const sum = idCardWeights.reduce((acc, w, i) => acc + w * Number(value[i]), 0);
  return idCardCheckChars[sum % 11] === value[17];
}

/** The birth date an ID-card number carries (positions 7–14), or null when it is not a real date. */
export function idCardBirthDate(value: string): string | null {
  const [y, m, d] = [value.slice(6, 10), value.slice(10, 12), value.slice(12, 14)].map(Number) as [
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`;
}
