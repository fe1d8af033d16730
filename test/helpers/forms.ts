/**
 * Realistic municipal application forms (Bulgarian) for XAdES fixtures, tests and benches.
 * The data is invented; ЕГН values have valid check digits so identity code treats them as real.
 */

export const FORM_NS = "http://egov.bg/schemas/obshtina/nasledstvo/v1";

const NAMES = ["Иван Петров Иванов", "Мария Георгиева Димитрова", "Георги Стоянов Николов", "Елена Тодорова Христова", "Петър Василев Ангелов", "Десислава Илиева Маринова"];
const EGNS = ["8503154023", "9211021375", "0147211245", "7805305112", "6909092260", "9001200334"];
const KIN = ["съпруга", "син", "дъщеря", "внук", "внучка", "брат"];

function heir(i: number): string {
  return `
      <Наследник пореден="${i + 1}">
        <ТриИмена>${NAMES[i % NAMES.length]}</ТриИмена>
        <ЕГН>${EGNS[i % EGNS.length]}</ЕГН>
        <Родство>${KIN[i % KIN.length]}</Родство>
        <Адрес>гр. Тестово, ж.к. „Младост“ ${i + 1}, бл. ${100 + i}, вх. А, ет. ${(i % 8) + 1}, ап. ${i + 3}</Адрес>
      </Наследник>`;
}

/**
 * Заявление за издаване на удостоверение за наследници (application for a certificate of heirs).
 * `heirs` grows the form: 20 heirs make about 6 KB of form, a 12 KB signed document with two certificates.
 */
export function heirsCertificateApplication(heirs = 20, opts: { id?: string; padding?: number } = {}): string {
  let extra = "";
  for (let i = 0; i < (opts.padding ?? 0); i++) extra += heir(i);
  return `<Заявление xmlns="${FORM_NS}" xmlns:адм="http://egov.bg/schemas/common/v2" Id="${opts.id ?? "form"}" версия="1.2" xml:lang="bg">
  <!-- Електронна форма, попълнена през портала на община Тестово -->
  <адм:Административен>
    <адм:Община код="TST46">Община Тестово</адм:Община>
    <адм:Услуга код="2079">Издаване на удостоверение за наследници</адм:Услуга>
    <адм:ВходящНомер/>
  </адм:Административен>
  <Заявител вид="физическо лице">
    <ТриИмена>Иван Петров Иванов</ТриИмена>
    <ЕГН>8503154023</ЕГН>
    <ПостояненАдрес>гр. Тестово 9999, ул. „Цар Симеон“ № 12 &amp; 14, ет. 3</ПостояненАдрес>
    <Телефон>+359 88 123 4567</Телефон>
    <ЕлектроннаПоща>ivan.ivanov@example.bg</ЕлектроннаПоща>
  </Заявител>
  <Наследодател>
    <ТриИмена>Петър Иванов Петров</ТриИмена>
    <ЕГН>4402115008</ЕГН>
    <ДатаНаСмърт>2026-02-14</ДатаНаСмърт>
    <ПоследенПостояненАдрес>гр. Тестово, ул. „Васил Левски“ № 7</ПоследенПостояненАдрес>
  </Наследодател>
  <Наследници брой="${heirs}">${Array.from({ length: heirs }, (_, i) => heir(i)).join("")}${extra}
  </Наследници>
  <Цел>Да послужи пред нотариус &lt;за делба&gt; и пред „Банка ДСК“ ЕАД</Цел>
  <Приложения>
    <Документ тип="акт-за-смърт" номер="0123/14.02.2026"/>
    <Документ тип="пълномощно" номер="—"/>
  </Приложения>
  <НачинНаПолучаване>Лично в Центъра за административно обслужване</НачинНаПолучаване>
  <Декларация>Декларирам, че посочените данни са верни. Известна ми е наказателната отговорност по чл. 313 от Наказателния кодекс.</Декларация>
  <Дата>2026-05-20</Дата>
  <Място>гр. Тестово</Място>
</Заявление>`;
}

/** A bigger form: about `bytes` of heirs (the 5 MB linearity case). */
export function largeForm(bytes: number): string {
  const one = Buffer.byteLength(heir(0));
  return heirsCertificateApplication(Math.max(1, Math.round(bytes / one)));
}

/** Detached content: a small PDF-like blob. */
export function attachmentPdf(): Buffer {
  return Buffer.from(
    "%PDF-1.4\n% Приложение към заявление — акт за смърт (тест)\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "utf8",
  );
}
