import { Injectable } from '@nestjs/common';
import { I18nService } from 'nestjs-i18n';
import { supportedLanguage } from '../common/i18n/languages';
import { PluralForms, pluralText } from '../common/views/view-helpers';
import { EmailTemplates } from '../mail/email-templates.service';
import { MailService, OutgoingEmail } from '../mail/mail.service';
import { User } from '../users/user.entity';
import { DigestItems, digestView } from './digest-content';
import { UnsubscribeLinks, unsubscribePath } from './unsubscribe-links';

/**
 * A digest as an email: views/email/digest.* in the user's language, absolute links, and the
 * RFC 8058 headers (List-Unsubscribe with the signed link, List-Unsubscribe-Post) that let a
 * mail client unsubscribe in one click without logging in.
 */
@Injectable()
export class DigestEmails {
  constructor(
    private readonly templates: EmailTemplates,
    private readonly mail: MailService,
    private readonly i18n: I18nService,
    private readonly links: UnsubscribeLinks,
  ) {}

  compose(user: User, items: DigestItems): OutgoingEmail {
    const lang = supportedLanguage(user.language);
    const unsubscribeUrl = this.mail.link(
      unsubscribePath(this.links.token({ userId: user.id, scope: 'all' })),
    );
    // Without args nestjs-i18n returns a plural translation as the object of its forms.
    const othersForms = this.i18n.t<string, PluralForms>('email.others', { lang });
    const context = {
      ...digestView(
        user,
        items,
        lang,
        {
          link: (path) => this.mail.link(path),
          unsubscribeUrl,
        },
        (count) => pluralText(othersForms, count, lang),
      ),
      // The page this link opens speaks the user's language, as the email does.
      unsubscribePageUrl: `${unsubscribeUrl}?lang=${lang}`,
      footer: this.i18n.t('email.footer_why', { lang, args: { username: user.username } }),
    };
    const { subject, text, html } = this.templates.render('digest', lang, context);
    return {
      kind: 'digest',
      to: user.email,
      userId: user.id,
      subject,
      text,
      html,
      headers: {
        'List-Unsubscribe': `<${unsubscribeUrl}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    };
  }
}
