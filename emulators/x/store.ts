import { extractEntities, type Entities } from './entities';
import { compareIds, SnowflakeGenerator } from './ids';
import type { RuleNode } from './rules';

export interface UserRecord {
  id: string;
  username: string;
  name: string;
  created_at: string;
  description: string;
  protected: boolean;
  verified: boolean;
  /** When true, nobody but the author may reply to this user's posts. */
  restrict_replies: boolean;
  /** What `user.fields=public_metrics` answers (a test may set them). */
  public_metrics: UserMetrics;
}

export interface UserMetrics { followers_count: number; following_count: number; tweet_count: number; listed_count: number; like_count: number }

export type ReferenceType = 'retweeted' | 'quoted' | 'replied_to';

export interface PostRecord {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  conversation_id: string;
  in_reply_to_user_id?: string;
  referenced_tweets?: Array<{ type: ReferenceType; id: string }>;
  entities: Entities;
  edit_history_tweet_ids: string[];
  reply_settings: 'everyone' | 'mentionedUsers';
  /** 'api' for POST /2/tweets, 'control' for injected posts. */
  source: 'api' | 'control';
  deleted: boolean;
}

export interface RuleRecord { id: string; value: string; tag?: string; ast: RuleNode }

export interface OAuth2Token {
  accessToken: string;
  refreshToken?: string;
  userId: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

export interface AuthorizationCode {
  code: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  userId: string;
  challenge: string;
  method: 'S256' | 'plain';
  expiresAt: number;
  used: boolean;
  issued: string[];
}

export interface OAuth1Credential { userId: string; token: string; secret: string }

/** All mutable state of one emulator instance; reset() returns it to empty. */
export class Store {
  readonly ids = new SnowflakeGenerator();
  users = new Map<string, UserRecord>();
  usernames = new Map<string, string>(); // lower-cased username → id
  posts = new Map<string, PostRecord>();
  rules = new Map<string, RuleRecord>();
  accessTokens = new Map<string, OAuth2Token>();
  refreshTokens = new Map<string, OAuth2Token>();
  codes = new Map<string, AuthorizationCode>();
  oauth1 = new Map<string, OAuth1Credential>();
  appTokens = new Set<string>(); // issued by POST /oauth2/token (client_credentials)

  reset(): void {
    this.users = new Map();
    this.usernames = new Map();
    this.posts = new Map();
    this.rules = new Map();
    this.accessTokens = new Map();
    this.refreshTokens = new Map();
    this.codes = new Map();
    this.oauth1 = new Map();
    this.appTokens = new Set();
  }

  userByUsername(username: string): UserRecord | undefined {
    const id = this.usernames.get(username.replace(/^@/, '').toLowerCase());
    return id ? this.users.get(id) : undefined;
  }

  addUser(input: {
    username: string; name?: string; restrict_replies?: boolean; description?: string; verified?: boolean; protected?: boolean;
    created_at?: string; public_metrics?: Partial<UserMetrics>;
  }): UserRecord {
    const user: UserRecord = {
      id: this.ids.next(),
      username: input.username,
      name: input.name ?? input.username,
      created_at: input.created_at ?? new Date().toISOString(),
      public_metrics: { followers_count: 0, following_count: 0, tweet_count: 0, listed_count: 0, like_count: 0, ...input.public_metrics },
      description: input.description ?? '',
      protected: input.protected ?? false,
      verified: input.verified ?? false,
      restrict_replies: input.restrict_replies ?? false,
    };
    this.users.set(user.id, user);
    this.usernames.set(user.username.toLowerCase(), user.id);
    return user;
  }

  newPostId(atMs?: number): string {
    let id = this.ids.next(atMs);
    while (this.posts.has(id)) id = this.ids.next(atMs);
    return id;
  }

  entitiesFor(text: string): Entities {
    return extractEntities(text, (username) => this.userByUsername(username)?.id);
  }

  /** Live posts, newest first. */
  livePostsNewestFirst(): PostRecord[] {
    const list: PostRecord[] = [];
    for (const p of this.posts.values()) if (!p.deleted) list.push(p);
    return list.sort((a, b) => compareIds(b.id, a.id));
  }
}
