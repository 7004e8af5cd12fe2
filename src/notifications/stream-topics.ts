/** The topics a page's stream may watch for live `post` frames. */
const TOPIC = /^(?:home|explore|user:[1-9]\d{0,9})$/;
/** One leader tab's stream watches the pages of every tab of the browser (notifications.js). */
const MAX_TOPICS = 8;

/** ?watch= as a list of known topics, the last MAX_TOPICS (the newest pages): anything else is left out, never an error. */
export function parseTopics(raw: unknown): string[] {
  if (typeof raw !== 'string') {
    return [];
  }
  const topics = raw.split(',').filter((topic) => TOPIC.test(topic));
  return [...new Set(topics)].slice(-MAX_TOPICS);
}

/** The topics that hear of a post by `authorId`: explore and the author's profile. */
export function postTopics(authorId: number): string[] {
  return ['explore', `user:${authorId}`];
}

/** A deletion reaches every page that may show the post. */
export function deletionTopics(authorId: number): string[] {
  return ['home', ...postTopics(authorId)];
}
