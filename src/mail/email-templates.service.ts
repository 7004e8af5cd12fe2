import { Injectable } from '@nestjs/common';
import * as hbs from 'hbs';
import { I18nService } from 'nestjs-i18n';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { supportedLanguage } from '../common/i18n/languages';
import { registerViewHelpers } from '../common/views/view-helpers';

const EMAIL_VIEWS = join(__dirname, '..', '..', 'views', 'email');

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

type Template = (context: object) => string;

/**
 * Renders an email from views/email/<name>.{subject,text,html}.hbs in one language, with the
 * page helpers ({{t}}, {{plural}}, {{longDate}}...). The HTML part is escaped like the pages and
 * wrapped in views/email/layout.html.hbs; the subject and text parts are plain text.
 */
@Injectable()
export class EmailTemplates {
  private readonly engine = hbs.create();
  private readonly templates = new Map<string, Template>();

  constructor(i18n: I18nService) {
    // An instance of hbs has everything of the module the helpers use except create().
    registerViewHelpers(this.engine as typeof hbs, i18n);
  }

  render(name: string, lang: string, context: object): RenderedEmail {
    const locals = { ...context, i18nLang: supportedLanguage(lang) };
    const subject = this.template(`${name}.subject`, true)(locals).replace(/\s+/g, ' ').trim();
    const body = this.template(`${name}.html`, false)(locals);
    return {
      subject,
      text: this.template(`${name}.text`, true)(locals),
      html: this.template('layout.html', false)({ ...locals, subject, body }),
    };
  }

  private template(file: string, plainText: boolean): Template {
    let template = this.templates.get(file);
    if (!template) {
      const source = readFileSync(join(EMAIL_VIEWS, `${file}.hbs`), 'utf8');
      template = this.engine.handlebars.compile(source, { noEscape: plainText, strict: false });
      this.templates.set(file, template);
    }
    return template;
  }
}
