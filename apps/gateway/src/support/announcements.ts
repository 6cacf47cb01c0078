import { GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from '../storage/database.js';
import type { AnnouncementsTable } from '../storage/schema.js';

export type AnnouncementLevel = 'info' | 'success' | 'warning';

export interface AnnouncementInput {
  level: AnnouncementLevel;
  titleEn: string;
  titleZh: string;
  bodyEn: string;
  bodyZh: string;
  published: boolean;
}

/** Runs inside the change's transaction with the row before and after it (the admin's audit row). */
export type Within = (trx: Db, before: AnnouncementsTable | undefined, after: AnnouncementsTable | undefined) => Promise<void>;

const notFound = () => new GatewayError('not_found', 'There is no such announcement.', { code: 'announcement_not_found' });

/**
 * Dashboard announcements: written by admins in both console languages (each reader sees theirs),
 * shown while published, and hidden for a user once they dismiss it.
 */
export class Announcements {
  constructor(private readonly db: Db) {}

  /** Every announcement, newest first (admins). */
  all(): Promise<AnnouncementsTable[]> {
    return this.db.selectFrom('announcements').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  }

  /** What a user's dashboard shows: published, not dismissed by them, newest publication first. */
  forUser(userId: string): Promise<AnnouncementsTable[]> {
    return this.db
      .selectFrom('announcements')
      .selectAll()
      .where('published', '=', 1)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('announcement_dismissals').select('announcement_id').where('announcement_dismissals.user_id', '=', userId).whereRef('announcement_dismissals.announcement_id', '=', 'announcements.id'))),
      )
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(20)
      .execute();
  }

  /** Hides a published announcement for one user (again: no change). */
  async dismiss(userId: string, id: string): Promise<void> {
    const a = await this.db.selectFrom('announcements').select('id').where('id', '=', id).where('published', '=', 1).executeTakeFirst();
    if (!a) throw notFound();
    await this.db
      .insertInto('announcement_dismissals')
      .values({ user_id: userId, announcement_id: id, dismissed_at: Date.now() })
      .onConflict((oc) => oc.columns(['user_id', 'announcement_id']).doNothing())
      .execute();
  }

  async create(input: AnnouncementInput, within?: Within): Promise<AnnouncementsTable> {
    const now = Date.now();
    const row: AnnouncementsTable = {
      id: newId('ann'),
      level: input.level,
      title_en: input.titleEn,
      title_zh: input.titleZh,
      body_en: input.bodyEn,
      body_zh: input.bodyZh,
      published: input.published ? 1 : 0,
      published_at: input.published ? now : null,
      created_at: now,
      updated_at: now,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('announcements').values(row).execute();
      await within?.(trx, undefined, row);
    });
    return row;
  }

  async update(id: string, patch: Partial<AnnouncementInput>, within?: Within): Promise<AnnouncementsTable> {
    const now = Date.now();
    return this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('announcements').selectAll().where('id', '=', id).executeTakeFirst();
      if (!before) throw notFound();
      const publishing = patch.published === true && before.published !== 1;
      const after: AnnouncementsTable = {
        ...before,
        level: patch.level ?? before.level,
        title_en: patch.titleEn ?? before.title_en,
        title_zh: patch.titleZh ?? before.title_zh,
        body_en: patch.bodyEn ?? before.body_en,
        body_zh: patch.bodyZh ?? before.body_zh,
        published: patch.published === undefined ? before.published : patch.published ? 1 : 0,
        // Published again: it counts as new, so it goes first on dashboards.
        published_at: publishing ? now : before.published_at,
        updated_at: now,
      };
      const { id: _id, created_at: _c, ...set } = after;
      await trx.updateTable('announcements').set(set).where('id', '=', id).execute();
      await within?.(trx, before, after);
      return after;
    });
  }

  async remove(id: string, within?: Within): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('announcements').selectAll().where('id', '=', id).executeTakeFirst();
      if (!before) throw notFound();
      await trx.deleteFrom('announcement_dismissals').where('announcement_id', '=', id).execute();
      await trx.deleteFrom('announcements').where('id', '=', id).execute();
      await within?.(trx, before, undefined);
    });
  }
}
