import { validateSync } from 'class-validator';
import { CleanText, IsEmailAddress } from './form-validators';
import { validateForm } from './validate-form';

class NoteDto {
  @CleanText()
  title!: unknown;

  @CleanText({ multiline: true })
  body!: unknown;

  @CleanText({ multiline: true, json: true, message: '$property is junk' })
  data!: unknown;
}

describe(CleanText.name, () => {
  const form = (fields: Partial<NoteDto>) =>
    validateForm(NoteDto, { title: 'Hi', body: 'one\r\ntwo', data: { a: ['b'] }, ...fields });

  it('should accept clean text, line breaks in multi-line fields', () => {
    expect(form({}).ok).toBe(true);
  });

  it.each([
    [{ title: 'a\u0000b' }, 'title'],
    [{ title: 'a\nb' }, 'title'],
    [{ body: 'a\u0000b' }, 'body'],
    [{ body: '\ud800' }, 'body'],
    [{ data: { message: 'x\udfff' } }, 'data'],
    [{ data: { 'k\u001b': 1 } }, 'data'],
  ])('should refuse %p with an error on %s', (fields, field) => {
    const result = form(fields);
    expect(result.ok).toBe(false);
    expect(Object.keys(result.ok ? {} : result.errors)).toEqual([field]);
  });

  it('should name the field with the translated key, or the message given', () => {
    const result = form({ title: '\u0007', data: ['\u0007'] });
    expect(result.ok ? null : result.errors).toEqual({
      title: { key: 'validation.invalid_characters' },
      data: { key: 'data is junk' },
    });
  });

  it('should leave non-strings to the type validators', () => {
    const dto = Object.assign(new NoteDto(), { title: 42, body: ['a\u0000'], data: 7 });
    expect(validateSync(dto)).toEqual([]);
  });
});

class EmailDto {
  @IsEmailAddress()
  email!: unknown;
}

describe(IsEmailAddress.name, () => {
  it.each(['susan@example.com', 'jürgen@exämple.de'])('should accept %s', (email) => {
    expect(validateForm(EmailDto, { email }).ok).toBe(true);
  });

  it.each(['susan', 'su\u0000san@example.com', 'su\ud800san@example.com', ['a@example.com'], 7])(
    'should refuse %p without throwing',
    (email) => {
      const result = validateForm(EmailDto, { email });
      expect(result.ok ? null : result.errors).toEqual({ email: { key: 'validation.email' } });
    },
  );
});
