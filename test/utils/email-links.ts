import type { ParsedMail } from 'mailparser';
import type { INestApplication } from '@nestjs/common';
import { PasswordResetService } from '../../src/auth/password-reset.service';
import { MailSender } from '../../src/mail/mail-sender.service';
import { linksIn } from './smtp';

/** The links of the app's account emails: /auth/reset_password/<token>, /auth/confirm_email/<token>. */
export const RESET_LINK = /\/auth\/reset_password\/([A-Za-z0-9_-]{43})$/;
export const CONFIRM_LINK = /\/auth\/confirm_email\/([A-Za-z0-9_-]{43})$/;

/** The one link of `mail` that matches `pattern`, with its token; it must be in the HTML part too. */
export function accountLink(mail: ParsedMail, pattern: RegExp): { url: string; token: string } {
  const links = linksIn(mail).filter((link) => pattern.test(link));
  if (links.length !== 1) {
    throw new Error(`expected one link like ${pattern} in "${mail.subject}", got ${links.length}`);
  }
  const url = links[0];
  if (typeof mail.html !== 'string' || !mail.html.includes(`href="${url}"`)) {
    throw new Error(`the HTML part of "${mail.subject}" does not link to ${url}`);
  }
  return { url, token: pattern.exec(url)![1] };
}

/** The path of an absolute link, to follow it through the app under test. */
export const pathOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

/**
 * Waits until every reset asked for so far is queued and the outbox pass that delivers it has
 * ended: what was sent has reached the SMTP server, and what was not will not be.
 */
export async function mailSettled(app: INestApplication): Promise<void> {
  await app.get(PasswordResetService).idle();
  await app.get(MailSender).idle();
}
