/* eslint-disable */
// Generated from the gateway's OpenAPI document (/api/openapi.json) by packages/sdk/scripts/generate-types.mjs.
// Do not edit: change the schema in apps/gateway/src/api/, then run `npm run generate -w @apigpt/sdk`.

export interface Operations {
  /** Delete my account: keys revoked, logged content and stored responses deleted, personal fields removed; the ledger stays, pseudonymised */
  "POST /api/account/delete": {
    params: never;
    query: never;
    body: {
      password: string;
    };
    response: {
      deleted: boolean;
      keysRevoked: number;
      contentsDeleted: number;
      storedResponsesDeleted: number;
    };
  };

  /** Everything the gateway keeps about my account, as JSON (keys without their secrets) */
  "GET /api/account/export": {
    params: never;
    query: never;
    body: never;
    response: unknown;
  };

  /** Every announcement, drafts included */
  "GET /api/admin/announcements": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        level: "info" | "success" | "warning";
        title: {
          en: string;
          "zh-CN": string;
        };
        body: {
          en: string;
          "zh-CN": string;
        };
        published: boolean;
        publishedAt: number | null;
        createdAt: number;
        updatedAt: number;
      }[];
    };
  };

  /** Write an announcement in both languages (a draft unless `published`) */
  "POST /api/admin/announcements": {
    params: never;
    query: never;
    body: {
      level?: "info" | "success" | "warning";
      titleEn: string;
      titleZh: string;
      bodyEn: string;
      bodyZh: string;
      /** Shown on dashboards now (default false: a draft) */
      published?: boolean;
    };
    response: {
      id: string;
      level: "info" | "success" | "warning";
      title: {
        en: string;
        "zh-CN": string;
      };
      body: {
        en: string;
        "zh-CN": string;
      };
      published: boolean;
      publishedAt: number | null;
      createdAt: number;
      updatedAt: number;
    };
  };

  /** Delete an announcement */
  "DELETE /api/admin/announcements/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      ok: boolean;
    };
  };

  /** Change, publish or unpublish an announcement */
  "PATCH /api/admin/announcements/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: {
      level?: "info" | "success" | "warning";
      titleEn?: string;
      titleZh?: string;
      bodyEn?: string;
      bodyZh?: string;
      /** Shown on dashboards now (default false: a draft) */
      published?: boolean;
    };
    response: {
      id: string;
      level: "info" | "success" | "warning";
      title: {
        en: string;
        "zh-CN": string;
      };
      body: {
        en: string;
        "zh-CN": string;
      };
      published: boolean;
      publishedAt: number | null;
      createdAt: number;
      updatedAt: number;
    };
  };

  /** The admin audit log, newest first — Every admin change (channels, prices, groups, users, credit, codes, settings…) with who made it, how they signed in, the target and its state before and after. Filters combine; the console exports the rows as CSV. */
  "GET /api/admin/audit": {
    params: never;
    query: {
      /** The admin's user id or email */
      actor?: string;
      action?: string;
      targetType?: string;
      targetId?: string;
      /** epoch ms, inclusive */
      from?: number;
      /** epoch ms, exclusive */
      to?: number;
      limit?: number;
      offset?: number;
    };
    body: never;
    response: {
      items: {
        id: string;
        /** epoch ms */
        created_at: number;
        /** The admin; null for the CLI */
        actor_id: string | null;
        actor_email: string | null;
        /** `session` (console), `root_token` or `cli` */
        via: string;
        /** e.g. `channel.update`, `price.set`, `credit.adjust`, `codes.create`, `settings.update` */
        action: string;
        target_type: string | null;
        target_id: string | null;
        /** The target as it was before / after the change (JSON; null when there was none). Secrets are never included. */
        before: unknown;
        /** The target as it was before / after the change (JSON; null when there was none). Secrets are never included. */
        after: unknown;
        client_ip: string | null;
      }[];
      total: number;
    };
  };

  /** Audit: balance == sum(ledger), every charge has its log row and the reverse */
  "GET /api/admin/billing/check": {
    params: never;
    query: never;
    body: never;
    response: {
      ok: boolean;
      accounts: number;
      charges: number;
      problems: string[];
      /** Journals of stopped processes: charged calls they served, and how many of those the database lacks */
      journals: {
        stopped: number;
        rows: number;
        uncharged: number;
      };
      /** Credit held per gateway process (µP) and whether its lease is live */
      processes: {
        owner: string;
        live: boolean;
        holds: number;
        held: number;
      }[];
    };
  };

  /** List channels (secrets are never returned) */
  "GET /api/admin/channels": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        provider: string;
        name: string;
        baseUrl: string;
        hasSecret: boolean;
        models: string[];
        modelMap: Record<string, string>;
        groups: string[];
        settings: Record<string, unknown>;
        weight: number;
        priority: number;
        enabled: boolean;
        /** Who disabled it; 'health' channels come back when a probe passes */
        disabledBy: "admin" | "health" | null;
        simulated: boolean;
        createdAt: number;
        updatedAt: number;
      }[];
    };
  };

  /** Create a channel */
  "POST /api/admin/channels": {
    params: never;
    query: never;
    body: {
      provider: string;
      name: string;
      baseUrl: string;
      /** Write-only: never returned. */
      secret?: string | null;
      models?: string[];
      modelMap?: Record<string, string>;
      groups?: string[];
      settings?: Record<string, unknown>;
      weight?: number;
      priority?: number;
      enabled?: boolean;
    };
    response: {
      channel: {
        id: string;
        provider: string;
        name: string;
        baseUrl: string;
        hasSecret: boolean;
        models: string[];
        modelMap: Record<string, string>;
        groups: string[];
        settings: Record<string, unknown>;
        weight: number;
        priority: number;
        enabled: boolean;
        /** Who disabled it; 'health' channels come back when a probe passes */
        disabledBy: "admin" | "health" | null;
        simulated: boolean;
        createdAt: number;
        updatedAt: number;
      };
    };
  };

  /** Circuit state of every channel, and its prompt-cache hit rate over the last 24 hours */
  "GET /api/admin/channels/health": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        name: string;
        enabled: boolean;
        disabledBy: string | null;
        state: "closed" | "open" | "half_open";
        consecutiveFailures: number;
        openUntil: number | null;
        trips: number;
        cache: {
          /** Calls that sent a prompt */
          calls: number;
          promptTokens: number;
          /** Prompt tokens the provider read from its prompt cache */
          cachedTokens: number;
          /** Prompt tokens written to the prompt cache (5-minute and 1-hour writes) */
          cacheWriteTokens: number;
          hitRate: number | null;
        };
      }[];
    };
  };

  /** The models the upstream lists, read through the channel's provider with its key — For the channel form: send the provider, base URL and key as typed (a saved channel may leave the key out). Nothing is stored. */
  "POST /api/admin/channels/models": {
    params: never;
    query: never;
    body: {
      /** The provider kind; with `channelId` it defaults to the saved channel's */
      provider?: string;
      /** With `channelId` it defaults to the saved channel's */
      baseUrl?: string;
      /** Write-only. Left out or empty with `channelId`: the saved channel's key */
      secret?: string | null;
      settings?: Record<string, unknown>;
      /** The saved channel being edited */
      channelId?: string;
    };
    response: {
      models: string[];
    };
  };

  /** Delete a channel */
  "DELETE /api/admin/channels/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      ok: boolean;
    };
  };

  /** One channel */
  "GET /api/admin/channels/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      channel: {
        id: string;
        provider: string;
        name: string;
        baseUrl: string;
        hasSecret: boolean;
        models: string[];
        modelMap: Record<string, string>;
        groups: string[];
        settings: Record<string, unknown>;
        weight: number;
        priority: number;
        enabled: boolean;
        /** Who disabled it; 'health' channels come back when a probe passes */
        disabledBy: "admin" | "health" | null;
        simulated: boolean;
        createdAt: number;
        updatedAt: number;
      };
    };
  };

  /** Update a channel (omit `secret` to keep it) */
  "PATCH /api/admin/channels/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: {
      provider?: string;
      name?: string;
      baseUrl?: string;
      /** Write-only: never returned. */
      secret?: string | null;
      models?: string[];
      modelMap?: Record<string, string>;
      groups?: string[];
      settings?: Record<string, unknown>;
      weight?: number;
      priority?: number;
      enabled?: boolean;
    };
    response: {
      channel: {
        id: string;
        provider: string;
        name: string;
        baseUrl: string;
        hasSecret: boolean;
        models: string[];
        modelMap: Record<string, string>;
        groups: string[];
        settings: Record<string, unknown>;
        weight: number;
        priority: number;
        enabled: boolean;
        /** Who disabled it; 'health' channels come back when a probe passes */
        disabledBy: "admin" | "health" | null;
        simulated: boolean;
        createdAt: number;
        updatedAt: number;
      };
    };
  };

  /** Disable a channel (it stays off until an admin enables it) */
  "POST /api/admin/channels/{id}/disable": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      channel: {
        id: string;
        provider: string;
        name: string;
        baseUrl: string;
        hasSecret: boolean;
        models: string[];
        modelMap: Record<string, string>;
        groups: string[];
        settings: Record<string, unknown>;
        weight: number;
        priority: number;
        enabled: boolean;
        /** Who disabled it; 'health' channels come back when a probe passes */
        disabledBy: "admin" | "health" | null;
        simulated: boolean;
        createdAt: number;
        updatedAt: number;
      };
    };
  };

  /** Enable a channel (and close its circuit) */
  "POST /api/admin/channels/{id}/enable": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      channel: {
        id: string;
        provider: string;
        name: string;
        baseUrl: string;
        hasSecret: boolean;
        models: string[];
        modelMap: Record<string, string>;
        groups: string[];
        settings: Record<string, unknown>;
        weight: number;
        priority: number;
        enabled: boolean;
        /** Who disabled it; 'health' channels come back when a probe passes */
        disabledBy: "admin" | "health" | null;
        simulated: boolean;
        createdAt: number;
        updatedAt: number;
      };
    };
  };

  /** A channel's health history (circuit changes, probes, enable / disable) */
  "GET /api/admin/channels/{id}/events": {
    params: {
      id: string;
    };
    query: {
      limit?: number;
    };
    body: never;
    response: {
      items: {
        id: string;
        channel_id: string;
        created_at: number;
        kind: string;
        detail: string;
      }[];
    };
  };

  /** Send one tiny real request through the channel */
  "POST /api/admin/channels/{id}/test": {
    params: {
      id: string;
    };
    query: never;
    body: {
      model?: string;
    };
    response: {
      ok: boolean;
      latencyMs: number;
      status: number | null;
      model: string | null;
      message: string;
    };
  };

  /** Redemption codes */
  "GET /api/admin/codes": {
    params: never;
    query: {
      limit?: number;
      offset?: number;
      status?: "unused" | "used" | "expired";
    };
    body: never;
    response: {
      items: {
        id: string;
        /** The first group of the code (`APG-ABCD`): codes are stored hashed and never shown again after creation */
        hint: string;
        name: string | null;
        value: number;
        created_at: number;
        expires_at: number | null;
        redeemed_by_email: string | null;
        redeemed_at: number | null;
      }[];
      total: number;
    };
  };

  /** Generate redemption codes — A batch of codes, each worth `value` P. Send an `Idempotency-Key` header to make a retry safe: a repeat answers as the first time and moves nothing twice. */
  "POST /api/admin/codes": {
    params: never;
    query: never;
    body: {
      count: number;
      value: number;
      /** epoch ms */
      expiresAt?: number;
      name?: string;
    };
    response: {
      items: {
        id: string;
        /** The code, shown this once: only its hash is stored */
        code: string;
        /** The first group of the code, as the code list shows it */
        hint: string;
        name: string | null;
        value: number;
        expires_at: number | null;
      }[];
    };
  };

  /** User groups and price multipliers */
  "GET /api/admin/groups": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        name: string;
        multiplier: number;
      }[];
    };
  };

  /** Set a group's price multiplier */
  "PUT /api/admin/groups/{name}": {
    params: {
      name: string;
    };
    query: never;
    body: {
      multiplier: number;
    };
    response: {
      name: string;
      multiplier: number;
    };
  };

  /** Run the background health probe now */
  "POST /api/admin/health/check": {
    params: never;
    query: never;
    body: never;
    response: {
      ok: boolean;
    };
  };

  /** Every request log, with the caller's email and the serving channel's name */
  "GET /api/admin/logs": {
    params: never;
    query: {
      limit?: number;
      offset?: number;
      model?: string;
      appId?: string;
      keyId?: string;
      /** The calls the caller named with this X-Client-Request-Id (or X-Request-Id) */
      clientRequestId?: string;
      status?: "ok" | "error";
      /** epoch ms */
      from?: number;
      /** epoch ms */
      to?: number;
      /** admins only */
      userId?: string;
      /** admins only: the calls of the account with this email (exact, any case) */
      userEmail?: string;
    };
    body: never;
    response: {
      items: {
        id: string;
        created_at: number;
        user_id: string;
        app_id: string | null;
        key_id: string | null;
        key_prefix: string | null;
        /** The caller's own id of the call (its X-Client-Request-Id or X-Request-Id header); null when it sent none */
        client_request_id: string | null;
        endpoint: string;
        dialect: string;
        model_requested: string | null;
        model_sent: string | null;
        channel_id: string | null;
        stream: number;
        status: number;
        error_code: string | null;
        error_message: string | null;
        latency_ms: number;
        ttft_ms: number | null;
        prompt_tokens: number;
        completion_tokens: number;
        cached_tokens: number;
        /** The part of completion_tokens spent reasoning */
        reasoning_tokens: number;
        /** Images produced */
        images: number;
        /** Characters turned into speech */
        characters: number;
        /** Seconds of audio transcribed or translated */
        seconds: number;
        /** Rerank search units */
        searches: number;
        attempts: number;
        /** P charged for the call */
        cost: number;
        /** The caller's email; null when the account is gone */
        user_email: string | null;
        /** The name of the channel that served the call; null when none did or it was deleted */
        channel_name: string | null;
      }[];
      total: number;
    };
  };

  /** A call's logged content */
  "GET /api/admin/logs/{id}/content": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      requestId: string;
      userId: string;
      appId: string | null;
      createdAt: number;
      expiresAt: number;
      /** The request as the provider got it (redacted when redaction is on), JSON */
      request: string | null;
      /** The provider's answer (JSON, or a stream's events), before placeholders were restored */
      response: string | null;
    };
  };

  /** The whole gateway's calls, spend and errors per day, and the accounts and models that used most */
  "GET /api/admin/overview": {
    params: never;
    query: {
      days?: number;
    };
    body: never;
    response: {
      days: {
        date: string;
        requests: number;
        errors: number;
        cost: number;
        prompt_tokens: number;
        completion_tokens: number;
      }[];
      /** Accounts that made at least one call in the window */
      activeUsers: number;
      /** The accounts that spent most (up to 10) */
      users: {
        userId: string;
        email: string | null;
        requests: number;
        errors: number;
        cost: number;
      }[];
      /** The models that cost most (up to 10) */
      models: {
        model: string;
        requests: number;
        errors: number;
        cost: number;
      }[];
      /** Channels configured */
      channels: number;
      /** Channels serving */
      channelsEnabled: number;
      /** Accounts on the server */
      users_total: number;
    };
  };

  /** The price table (P per 1K tokens, per image, per 1K characters, per second, per 1K searches) */
  "GET /api/admin/prices": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        model: string;
        /** P per 1K input tokens */
        input: number;
        /** P per 1K output tokens */
        output: number;
        /** P per 1K cached input tokens */
        cachedInput: number;
        perImage: number | null;
        perKChars: number | null;
        perSecond: number | null;
        perKSearches: number | null;
        /** Largest output the model produces: the worst case reserved when a call sets no max_tokens */
        maxOutput: number;
      }[];
    };
  };

  /** Remove a model's price (its calls are then refused) */
  "DELETE /api/admin/prices/{model}": {
    params: {
      model: string;
    };
    query: never;
    body: never;
    response: {
      ok: boolean;
    };
  };

  /** Set a model's price */
  "PUT /api/admin/prices/{model}": {
    params: {
      model: string;
    };
    query: never;
    body: {
      input: number;
      output: number;
      cachedInput?: number;
      perImage?: number | null;
      perKChars?: number | null;
      perSecond?: number | null;
      perKSearches?: number | null;
      maxOutput?: number;
    };
    response: {
      model: string;
      /** P per 1K input tokens */
      input: number;
      /** P per 1K output tokens */
      output: number;
      /** P per 1K cached input tokens */
      cachedInput: number;
      perImage: number | null;
      perKChars: number | null;
      perSecond: number | null;
      perKSearches: number | null;
      /** Largest output the model produces: the worst case reserved when a call sets no max_tokens */
      maxOutput: number;
    };
  };

  /** The privacy policies per user group and App */
  "GET /api/admin/privacy/policies": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        scope: "group" | "app";
        target: string;
        /** Keep the calls' prompts and answers (off by default: nothing is kept) */
        contentLogging: boolean;
        /** How long logged content is kept; a background job deletes it after */
        retentionDays: number;
        redaction: "off" | "mask" | "reversible";
        /** Which personal data is replaced by placeholders */
        kinds: ("email" | "phone" | "id_number" | "bank_card" | "ip")[];
        /** The admins' own patterns */
        patterns: {
          /** Labels the placeholder: `[NAME_1]` */
          name: string;
          /** A JavaScript regular expression (Unicode mode) */
          pattern: string;
        }[];
        updatedAt: number;
      }[];
    };
  };

  /** Remove a privacy policy (the group default applies again to an App) */
  "DELETE /api/admin/privacy/policies/{scope}/{target}": {
    params: {
      scope: "group" | "app";
      target: string;
    };
    query: never;
    body: never;
    response: {
      deleted: boolean;
    };
  };

  /** Set a group's or an App's privacy policy (an App's replaces its group's) */
  "PUT /api/admin/privacy/policies/{scope}/{target}": {
    params: {
      scope: "group" | "app";
      target: string;
    };
    query: never;
    body: {
      /** Keep the calls' prompts and answers (off by default: nothing is kept) */
      contentLogging?: boolean;
      /** How long logged content is kept; a background job deletes it after */
      retentionDays?: number;
      redaction?: "off" | "mask" | "reversible";
      /** Which personal data is replaced by placeholders */
      kinds?: ("email" | "phone" | "id_number" | "bank_card" | "ip")[];
      /** The admins' own patterns */
      patterns?: {
        /** Labels the placeholder: `[NAME_1]` */
        name: string;
        /** A JavaScript regular expression (Unicode mode) */
        pattern: string;
      }[];
    };
    response: {
      scope: "group" | "app";
      target: string;
      /** Keep the calls' prompts and answers (off by default: nothing is kept) */
      contentLogging: boolean;
      /** How long logged content is kept; a background job deletes it after */
      retentionDays: number;
      redaction: "off" | "mask" | "reversible";
      /** Which personal data is replaced by placeholders */
      kinds: ("email" | "phone" | "id_number" | "bank_card" | "ip")[];
      /** The admins' own patterns */
      patterns: {
        /** Labels the placeholder: `[NAME_1]` */
        name: string;
        /** A JavaScript regular expression (Unicode mode) */
        pattern: string;
      }[];
      updatedAt: number;
    };
  };

  /** What redaction makes of a text (nothing is stored) */
  "POST /api/admin/privacy/preview": {
    params: never;
    query: never;
    body: {
      text: string;
      /** Which personal data is replaced by placeholders */
      kinds: ("email" | "phone" | "id_number" | "bank_card" | "ip")[];
      /** The admins' own patterns */
      patterns?: {
        /** Labels the placeholder: `[NAME_1]` */
        name: string;
        /** A JavaScript regular expression (Unicode mode) */
        pattern: string;
      }[];
    };
    response: {
      redacted: string;
      found: {
        placeholder: string;
        value: string;
      }[];
    };
  };

  /** Delete logged content past its retention now (the background job does it every 10 minutes) */
  "POST /api/admin/privacy/purge": {
    params: never;
    query: never;
    body: never;
    response: {
      purged: number;
    };
  };

  /** Provider kinds a channel can have */
  "GET /api/admin/providers": {
    params: never;
    query: never;
    body: never;
    response: unknown;
  };

  /** Every invitation, newest first, with its outcome */
  "GET /api/admin/referrals": {
    params: never;
    query: {
      limit?: number;
      offset?: number;
    };
    body: never;
    response: {
      items: {
        inviterId: string;
        inviterEmail: string | null;
        inviteeId: string;
        inviteeEmail: string | null;
        createdAt: number;
        firstOrderId: string | null;
        firstPaidAt: number | null;
        outcome: ("rewarded" | "disabled" | "cap_reached" | "pending" | "reversed") | null;
        inviterReward: number;
        inviteeReward: number;
        /** P a refund took back from the inviter (less than the reward when their balance was too low) */
        inviterReclaimed: number;
        /** P a refund took back from the invited account */
        inviteeReclaimed: number;
      }[];
      total: number;
    };
  };

  /** Invitation rewards: on or off, the amounts, the cap per inviter */
  "GET /api/admin/referrals/policy": {
    params: never;
    query: never;
    body: never;
    response: {
      enabled: boolean;
      /** P credited to the inviter when an invited account first pays */
      inviterReward: number;
      /** P credited to the invited account on its first payment */
      inviteeReward: number;
      maxRewardsPerInviter: number | null;
    };
  };

  /** Change the invitation rewards (applies to first payments from now on) */
  "PUT /api/admin/referrals/policy": {
    params: never;
    query: never;
    body: {
      enabled?: boolean;
      inviterReward?: number;
      inviteeReward?: number;
      maxRewardsPerInviter?: number | null;
    };
    response: {
      enabled: boolean;
      /** P credited to the inviter when an invited account first pays */
      inviterReward: number;
      /** P credited to the invited account on its first payment */
      inviteeReward: number;
      maxRewardsPerInviter: number | null;
    };
  };

  /** The rules' latest decisions and the counts per rule — Each decision names the rule, action, request and direction; the checked text is never stored. */
  "GET /api/admin/safety/decisions": {
    params: never;
    query: {
      ruleId?: string;
      /** One call's decisions (the request log's id) */
      requestId?: string;
      limit?: number;
    };
    body: never;
    response: {
      items: {
        id: string;
        createdAt: number;
        requestId: string;
        ruleId: string;
        action: string;
        direction: string;
        userId: string | null;
      }[];
      counts: {
        ruleId: string;
        action: string;
        direction: string;
        count: number;
      }[];
    };
  };

  /** The content-safety policies (per user group and per App) */
  "GET /api/admin/safety/policies": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        scope: "group" | "app";
        /** The group's name or the App's id */
        target: string;
        /** The rules that apply (null: each rule by its own groups) */
        ruleIds: string[] | null;
        /** Per rule id: the action it takes under this policy instead of its own */
        actions: Record<string, "block" | "mask" | "flag">;
        moderation: {
          /** A model a channel serves for the `moderation` operation (OpenAI /v1/moderations shape) */
          model: string;
          /** Per category: the score from which it counts as hit; a category without one counts when the model flags it */
          thresholds: Record<string, number>;
          action: "block" | "flag";
          timeoutMs: number;
          /** When the model does not answer in time: let the call through (open) or refuse it (closed) */
          failMode: "open" | "closed";
          /** What the model reads: the input (default) and/or whole answers (streams are read by the rules alone) */
          directions?: ("input" | "output")[];
        } | null;
        createdAt: number;
        updatedAt: number;
      }[];
    };
  };

  /** Make or replace the policy of a group or an App — A call follows its App's policy, else its group's, else each rule by its own groups. Rules named must exist. */
  "PUT /api/admin/safety/policies": {
    params: never;
    query: never;
    body: {
      scope: "group" | "app";
      /** The group's name or the App's id */
      target: string;
      /** The rules that apply (null: each rule by its own groups) */
      ruleIds?: string[] | null;
      /** Per rule id: the action it takes under this policy instead of its own */
      actions?: Record<string, "block" | "mask" | "flag">;
      moderation?: {
        /** A model a channel serves for the `moderation` operation (OpenAI /v1/moderations shape) */
        model: string;
        /** Per category: the score from which it counts as hit; a category without one counts when the model flags it */
        thresholds: Record<string, number>;
        action: "block" | "flag";
        timeoutMs: number;
        /** When the model does not answer in time: let the call through (open) or refuse it (closed) */
        failMode: "open" | "closed";
        /** What the model reads: the input (default) and/or whole answers (streams are read by the rules alone) */
        directions?: ("input" | "output")[];
      } | null;
    };
    response: {
      id: string;
      scope: "group" | "app";
      /** The group's name or the App's id */
      target: string;
      /** The rules that apply (null: each rule by its own groups) */
      ruleIds: string[] | null;
      /** Per rule id: the action it takes under this policy instead of its own */
      actions: Record<string, "block" | "mask" | "flag">;
      moderation: {
        /** A model a channel serves for the `moderation` operation (OpenAI /v1/moderations shape) */
        model: string;
        /** Per category: the score from which it counts as hit; a category without one counts when the model flags it */
        thresholds: Record<string, number>;
        action: "block" | "flag";
        timeoutMs: number;
        /** When the model does not answer in time: let the call through (open) or refuse it (closed) */
        failMode: "open" | "closed";
        /** What the model reads: the input (default) and/or whole answers (streams are read by the rules alone) */
        directions?: ("input" | "output")[];
      } | null;
      createdAt: number;
      updatedAt: number;
    };
  };

  /** Delete a policy (its group or App falls back to the rules’ own groups) */
  "DELETE /api/admin/safety/policies/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      deleted: boolean;
    };
  };

  /** The content-safety rules */
  "GET /api/admin/safety/rules": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        name: string;
        kind: "words" | "regex";
        action: "block" | "mask" | "flag";
        /** The list (kind `words`); matched over normalised text */
        words: string[];
        /** A JavaScript regular expression (kind `regex`), matched case-insensitively */
        pattern: string | null;
        /** User groups it applies to; empty: every group */
        groups: string[];
        directions: ("input" | "output")[];
        enabled: boolean;
        createdAt: number;
        updatedAt: number;
      }[];
    };
  };

  /** Make a rule */
  "POST /api/admin/safety/rules": {
    params: never;
    query: never;
    body: {
      name: string;
      kind?: "words" | "regex";
      action?: "block" | "mask" | "flag";
      /** The list (kind `words`); matched over normalised text */
      words?: string[];
      /** A JavaScript regular expression (kind `regex`), matched case-insensitively */
      pattern?: string | null;
      /** User groups it applies to; empty: every group */
      groups?: string[];
      directions?: ("input" | "output")[];
      enabled?: boolean;
    };
    response: {
      id: string;
      name: string;
      kind: "words" | "regex";
      action: "block" | "mask" | "flag";
      /** The list (kind `words`); matched over normalised text */
      words: string[];
      /** A JavaScript regular expression (kind `regex`), matched case-insensitively */
      pattern: string | null;
      /** User groups it applies to; empty: every group */
      groups: string[];
      directions: ("input" | "output")[];
      enabled: boolean;
      createdAt: number;
      updatedAt: number;
    };
  };

  /** Delete a rule (its recorded decisions stay) */
  "DELETE /api/admin/safety/rules/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      deleted: boolean;
    };
  };

  /** One rule */
  "GET /api/admin/safety/rules/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      id: string;
      name: string;
      kind: "words" | "regex";
      action: "block" | "mask" | "flag";
      /** The list (kind `words`); matched over normalised text */
      words: string[];
      /** A JavaScript regular expression (kind `regex`), matched case-insensitively */
      pattern: string | null;
      /** User groups it applies to; empty: every group */
      groups: string[];
      directions: ("input" | "output")[];
      enabled: boolean;
      createdAt: number;
      updatedAt: number;
    };
  };

  /** Change a rule */
  "PATCH /api/admin/safety/rules/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: {
      name?: string;
      kind?: "words" | "regex";
      action?: "block" | "mask" | "flag";
      /** The list (kind `words`); matched over normalised text */
      words?: string[];
      /** A JavaScript regular expression (kind `regex`), matched case-insensitively */
      pattern?: string | null;
      /** User groups it applies to; empty: every group */
      groups?: string[];
      directions?: ("input" | "output")[];
      enabled?: boolean;
    };
    response: {
      id: string;
      name: string;
      kind: "words" | "regex";
      action: "block" | "mask" | "flag";
      /** The list (kind `words`); matched over normalised text */
      words: string[];
      /** A JavaScript regular expression (kind `regex`), matched case-insensitively */
      pattern: string | null;
      /** User groups it applies to; empty: every group */
      groups: string[];
      directions: ("input" | "output")[];
      enabled: boolean;
      createdAt: number;
      updatedAt: number;
    };
  };

  /** Import a word file into a word-list rule — One word per line (UTF-8; `#` starts a comment line; commas and tabs also separate words). Added to the list, or replacing it with `replace: true`. */
  "POST /api/admin/safety/rules/{id}/import": {
    params: {
      id: string;
    };
    query: never;
    body: {
      text: string;
      replace?: boolean;
    };
    response: {
      id: string;
      name: string;
      kind: "words" | "regex";
      action: "block" | "mask" | "flag";
      /** The list (kind `words`); matched over normalised text */
      words: string[];
      /** A JavaScript regular expression (kind `regex`), matched case-insensitively */
      pattern: string | null;
      /** User groups it applies to; empty: every group */
      groups: string[];
      directions: ("input" | "output")[];
      enabled: boolean;
      createdAt: number;
      updatedAt: number;
    };
  };

  /** Test a text against the rules — The rules' verdict on a text, for one user group (every rule when none is given) and direction; nothing is recorded. */
  "POST /api/admin/safety/test": {
    params: never;
    query: never;
    body: {
      text: string;
      group?: string;
      direction?: "input" | "output";
    };
    response: {
      action: ("block" | "mask" | "flag") | null;
      /** The text with masking rules applied */
      masked: string;
      hits: {
        ruleId: string;
        ruleName: string;
        action: "block" | "mask" | "flag";
        start: number;
        end: number;
      }[];
    };
  };

  /** Run-time settings */
  "GET /api/admin/settings": {
    params: never;
    query: never;
    body: never;
    response: {
      trialCredit: number;
      signupEnabled: boolean;
      lowBalanceDefault: number;
      affinityTtlSec: number;
      /** Administrators must use two-factor sign-in: one without it can only reach the enrolment steps until enrolled */
      requireAdminTwoFactor: boolean;
    };
  };

  /** Change run-time settings */
  "PUT /api/admin/settings": {
    params: never;
    query: never;
    body: {
      trialCredit?: number;
      signupEnabled?: boolean;
      lowBalanceDefault?: number;
      /** Seconds a prompt-cache session keeps its channel after its last call */
      affinityTtlSec?: number;
      /** Administrators must use two-factor sign-in: one without it can only reach the enrolment steps until enrolled */
      requireAdminTwoFactor?: boolean;
    };
    response: {
      trialCredit: number;
      signupEnabled: boolean;
      lowBalanceDefault: number;
      affinityTtlSec: number;
      /** Administrators must use two-factor sign-in: one without it can only reach the enrolment steps until enrolled */
      requireAdminTwoFactor: boolean;
    };
  };

  /** Support tickets of every user, most recently active first */
  "GET /api/admin/support/tickets": {
    params: never;
    query: {
      limit?: number;
      offset?: number;
      /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
      status?: "open" | "answered" | "closed";
      userId?: string;
    };
    body: never;
    response: {
      items: {
        id: string;
        userId: string;
        email?: string | null;
        subject: string;
        /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
        status: "open" | "answered" | "closed";
        requestId: string | null;
        /** A reply of the other side came after this side last read the thread */
        unread: boolean;
        createdAt: number;
        updatedAt: number;
        closedAt: number | null;
      }[];
      total: number;
    };
  };

  /** A ticket with its thread and the call it is about (marks it read for admins) */
  "GET /api/admin/support/tickets/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      ticket: {
        id: string;
        userId: string;
        email?: string | null;
        subject: string;
        /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
        status: "open" | "answered" | "closed";
        requestId: string | null;
        /** A reply of the other side came after this side last read the thread */
        unread: boolean;
        createdAt: number;
        updatedAt: number;
        closedAt: number | null;
      };
      messages: {
        id: string;
        author: "user" | "admin";
        body: string;
        createdAt: number;
      }[];
      request: {
        id: string;
        createdAt: number;
        endpoint: string;
        model: string | null;
        status: number;
        errorCode: string | null;
        errorMessage: string | null;
      } | null;
    };
  };

  /** Close a ticket */
  "POST /api/admin/support/tickets/{id}/close": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      id: string;
      userId: string;
      email?: string | null;
      subject: string;
      /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
      status: "open" | "answered" | "closed";
      requestId: string | null;
      /** A reply of the other side came after this side last read the thread */
      unread: boolean;
      createdAt: number;
      updatedAt: number;
      closedAt: number | null;
    };
  };

  /** Answer a ticket (the user is mailed when SMTP is configured) */
  "POST /api/admin/support/tickets/{id}/replies": {
    params: {
      id: string;
    };
    query: never;
    body: {
      body: string;
    };
    response: {
      id: string;
      userId: string;
      email?: string | null;
      subject: string;
      /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
      status: "open" | "answered" | "closed";
      requestId: string | null;
      /** A reply of the other side came after this side last read the thread */
      unread: boolean;
      createdAt: number;
      updatedAt: number;
      closedAt: number | null;
    };
  };

  /** Open tickets with a user message no admin has read */
  "GET /api/admin/support/unread": {
    params: never;
    query: never;
    body: never;
    response: {
      /** Tickets with a reply not read yet */
      count: number;
    };
  };

  /** Recharge packs (enabled or not) */
  "GET /api/admin/topup-packs": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        name: string;
        /** P bought */
        points: number;
        /** P given on top */
        bonus: number;
        enabled: boolean;
        sort: number;
        /** Price per payment provider, a decimal in its currency */
        prices: Record<string, string>;
      }[];
    };
  };

  /** Offer a pack: P for the price each provider's rate gives, plus a bonus */
  "POST /api/admin/topup-packs": {
    params: never;
    query: never;
    body: {
      name: string;
      points: number;
      bonus?: number;
      enabled?: boolean;
      sort?: number;
    };
    response: {
      id: string;
      name: string;
      /** P bought */
      points: number;
      /** P given on top */
      bonus: number;
      enabled: boolean;
      sort: number;
      /** Price per payment provider, a decimal in its currency */
      prices: Record<string, string>;
    };
  };

  /** Remove a pack (its orders keep their figures) */
  "DELETE /api/admin/topup-packs/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      ok: boolean;
    };
  };

  /** Change a pack */
  "PATCH /api/admin/topup-packs/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: {
      name?: string;
      points?: number;
      bonus?: number;
      enabled?: boolean;
      sort?: number;
    };
    response: {
      id: string;
      name: string;
      /** P bought */
      points: number;
      /** P given on top */
      bonus: number;
      enabled: boolean;
      sort: number;
      /** Price per payment provider, a decimal in its currency */
      prices: Record<string, string>;
    };
  };

  /** Recharge orders of every user, newest first */
  "GET /api/admin/topups": {
    params: never;
    query: {
      limit?: number;
      offset?: number;
      /** `created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute) */
      status?: "created" | "paid" | "credited" | "expired" | "refunded";
      provider?: string;
      userId?: string;
    };
    body: never;
    response: {
      items: {
        id: string;
        userId: string;
        email?: string | null;
        provider: string;
        method: string;
        packId: string | null;
        /** What the payer pays, as a decimal in the currency (`7.30`) */
        amount: string;
        /** Lower-case ISO code */
        currency: string;
        /** P credited when paid, the bonus included */
        credit: number;
        /** P of the credit that are the pack bonus */
        bonus: number;
        /** `created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute) */
        status: "created" | "paid" | "credited" | "expired" | "refunded";
        payUrl: string | null;
        note: string | null;
        /** The note as lines of data, for a client that shows it in its own language */
        notes: {
          /** What the line says (`refunded_by`, `provider_refund`, `money_returned`, …); `text` for a note written before lines existed */
          code: string;
          /** Its values: money as `7.30 CNY`, credit as `400 P`, a provider id, words as written */
          params: Record<string, string>;
          /** The line in English */
          text: string;
        }[];
        /** P taken back by a refund */
        refunded: number;
        paid: string | null;
        moneyOwed: string | null;
        createdAt: number;
        expiresAt: number;
        paidAt: number | null;
        creditedAt: number | null;
        refundedAt: number | null;
      }[];
      total: number;
    };
  };

  /** Ask the order's payment provider about its payment now — For an unpaid (`created` or `expired`) order whose callback may have been lost: the provider's answer is settled like its callback, so a payment it confirms is credited once. The gateway also asks by itself (`APIGPT_TOPUP_CHECK_SECONDS`). Answers the order as it is afterwards; 502 `payment_provider_unreachable` when the provider cannot be reached. */
  "POST /api/admin/topups/{id}/check": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      id: string;
      userId: string;
      email?: string | null;
      provider: string;
      method: string;
      packId: string | null;
      /** What the payer pays, as a decimal in the currency (`7.30`) */
      amount: string;
      /** Lower-case ISO code */
      currency: string;
      /** P credited when paid, the bonus included */
      credit: number;
      /** P of the credit that are the pack bonus */
      bonus: number;
      /** `created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute) */
      status: "created" | "paid" | "credited" | "expired" | "refunded";
      payUrl: string | null;
      note: string | null;
      /** The note as lines of data, for a client that shows it in its own language */
      notes: {
        /** What the line says (`refunded_by`, `provider_refund`, `money_returned`, …); `text` for a note written before lines existed */
        code: string;
        /** Its values: money as `7.30 CNY`, credit as `400 P`, a provider id, words as written */
        params: Record<string, string>;
        /** The line in English */
        text: string;
      }[];
      /** P taken back by a refund */
      refunded: number;
      paid: string | null;
      moneyOwed: string | null;
      createdAt: number;
      expiresAt: number;
      paidAt: number | null;
      creditedAt: number | null;
      refundedAt: number | null;
    };
  };

  /** Credit an order whose payment you confirmed at the provider — For a lost callback or a `paid` order held for review: the order is credited once, through the same path as a callback (409 `order_not_completable` when it already is). */
  "POST /api/admin/topups/{id}/complete": {
    params: {
      id: string;
    };
    query: never;
    body: {
      reason: string;
    };
    response: {
      id: string;
      userId: string;
      email?: string | null;
      provider: string;
      method: string;
      packId: string | null;
      /** What the payer pays, as a decimal in the currency (`7.30`) */
      amount: string;
      /** Lower-case ISO code */
      currency: string;
      /** P credited when paid, the bonus included */
      credit: number;
      /** P of the credit that are the pack bonus */
      bonus: number;
      /** `created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute) */
      status: "created" | "paid" | "credited" | "expired" | "refunded";
      payUrl: string | null;
      note: string | null;
      /** The note as lines of data, for a client that shows it in its own language */
      notes: {
        /** What the line says (`refunded_by`, `provider_refund`, `money_returned`, …); `text` for a note written before lines existed */
        code: string;
        /** Its values: money as `7.30 CNY`, credit as `400 P`, a provider id, words as written */
        params: Record<string, string>;
        /** The line in English */
        text: string;
      }[];
      /** P taken back by a refund */
      refunded: number;
      paid: string | null;
      moneyOwed: string | null;
      createdAt: number;
      expiresAt: number;
      paidAt: number | null;
      creditedAt: number | null;
      refundedAt: number | null;
    };
  };

  /** Refund an order: take its credit back, and return the money through the provider where it can (Stripe; elsewhere in the provider's dashboard) — A credited order's credit (or `points` of it) is taken back with a refund ledger row; never below a zero balance: when less is available the refund is refused with 409 `insufficient_balance` and may be made for the available amount. A `paid` order (held for review, never credited) is only marked refunded. Send an `Idempotency-Key` header to make a retry safe: a repeat answers as the first time and moves nothing twice. */
  "POST /api/admin/topups/{id}/refund": {
    params: {
      id: string;
    };
    query: never;
    body: {
      /** P to take back; default the whole credit of the order */
      points?: number;
      reason: string;
      /** Also return the money of that share to the payer through the provider's API where it has one (Stripe, WeChat Pay); default true. The order's note says what was returned, or that it could not be */
      returnMoney?: boolean;
    };
    response: {
      id: string;
      userId: string;
      email?: string | null;
      provider: string;
      method: string;
      packId: string | null;
      /** What the payer pays, as a decimal in the currency (`7.30`) */
      amount: string;
      /** Lower-case ISO code */
      currency: string;
      /** P credited when paid, the bonus included */
      credit: number;
      /** P of the credit that are the pack bonus */
      bonus: number;
      /** `created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute) */
      status: "created" | "paid" | "credited" | "expired" | "refunded";
      payUrl: string | null;
      note: string | null;
      /** The note as lines of data, for a client that shows it in its own language */
      notes: {
        /** What the line says (`refunded_by`, `provider_refund`, `money_returned`, …); `text` for a note written before lines existed */
        code: string;
        /** Its values: money as `7.30 CNY`, credit as `400 P`, a provider id, words as written */
        params: Record<string, string>;
        /** The line in English */
        text: string;
      }[];
      /** P taken back by a refund */
      refunded: number;
      paid: string | null;
      moneyOwed: string | null;
      createdAt: number;
      expiresAt: number;
      paidAt: number | null;
      creditedAt: number | null;
      refundedAt: number | null;
    };
  };

  /** List and search users, with each account's balance, spend over 30 days and last call */
  "GET /api/admin/users": {
    params: never;
    query: {
      search?: string;
      limit?: number;
      offset?: number;
    };
    body: never;
    response: {
      items: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
        /** Credit left, in P */
        balance: number;
        /** What the account's calls cost over the last 30 days, in P */
        spend_30d: number;
        /** The account's latest call (epoch ms); null when it never called */
        last_active_at: number | null;
      }[];
      total: number;
    };
  };

  /** Create a user */
  "POST /api/admin/users": {
    params: never;
    query: never;
    body: {
      email: string;
      password: string;
      role?: "user" | "admin";
      group?: string;
    };
    response: {
      user: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
      };
    };
  };

  /** Delete a user's account for them (what the user can do from My data): keys revoked, content purged, personal fields removed; the ledger stays, pseudonymised */
  "DELETE /api/admin/users/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      deleted: boolean;
      pseudonym: string;
      keysRevoked: number;
      contentsDeleted: number;
      storedResponsesDeleted: number;
      sessionsEnded: number;
    };
  };

  /** One user */
  "GET /api/admin/users/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      user: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
      };
    };
  };

  /** Change role, group, status or password */
  "PATCH /api/admin/users/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: {
      role?: "user" | "admin";
      group?: string;
      status?: "active" | "disabled";
      displayName?: string | null;
      password?: string;
    };
    response: {
      user: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
      };
    };
  };

  /** Grant (or, negative, deduct) credit with a reason — Answers the balance after the change. Send an `Idempotency-Key` header to make a retry safe: a repeat answers as the first time and moves nothing twice. */
  "POST /api/admin/users/{id}/credit": {
    params: {
      id: string;
    };
    query: never;
    body: {
      amount: number;
      reason: string;
    };
    response: {
      balance: number;
    };
  };

  /** Set a user's requests and tokens per minute (null = no limit) */
  "PUT /api/admin/users/{id}/limits": {
    params: {
      id: string;
    };
    query: never;
    body: {
      rpm?: number | null;
      tpm?: number | null;
    };
    response: {
      ok: boolean;
    };
  };

  /** Turn a user's two-factor sign-in off (they lost their phone and their recovery codes); they sign in with the password alone */
  "POST /api/admin/users/{id}/two-factor/reset": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      user: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
      };
    };
  };

  /** Announcements for my dashboard (published, not dismissed), in both languages */
  "GET /api/announcements": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        level: "info" | "success" | "warning";
        title: {
          en: string;
          "zh-CN": string;
        };
        body: {
          en: string;
          "zh-CN": string;
        };
        published: boolean;
        publishedAt: number | null;
        createdAt: number;
        updatedAt: number;
      }[];
    };
  };

  /** Hide an announcement from my dashboard */
  "POST /api/announcements/{id}/dismiss": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      ok: boolean;
    };
  };

  /** My apps */
  "GET /api/apps": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        user_id: string;
        name: string;
        description: string | null;
        created_at: number;
      }[];
    };
  };

  /** Create an app and its first API key */
  "POST /api/apps": {
    params: never;
    query: never;
    body: {
      name: string;
      description?: string | null;
    };
    response: {
      app: {
        id: string;
        user_id: string;
        name: string;
        description: string | null;
        created_at: number;
      };
      key: {
        /** Shown once; store it now. */
        key: string;
        record: {
          id: string;
          user_id: string;
          app_id: string;
          name: string;
          prefix: string;
          created_at: number;
          revoked_at: number | null;
          last_used_at: number | null;
          /** P this key may spend in total; null = no limit */
          creditLimit: number | null;
          /** epoch ms */
          expiresAt: number | null;
          models: string[] | null;
          /** Client IPs or CIDR ranges allowed */
          ips: string[] | null;
          /** Browser origins allowed (for keys used from a web page) */
          origins: string[] | null;
          rpm: number | null;
          tpm: number | null;
          /** P charged through this key */
          spent: number;
        };
      };
    };
  };

  /** Delete an app (revokes its keys) */
  "DELETE /api/apps/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      ok: boolean;
    };
  };

  /** One app */
  "GET /api/apps/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      app: {
        id: string;
        user_id: string;
        name: string;
        description: string | null;
        created_at: number;
      };
    };
  };

  /** Rename or describe an app */
  "PATCH /api/apps/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: {
      name?: string;
      description?: string | null;
    };
    response: {
      app: {
        id: string;
        user_id: string;
        name: string;
        description: string | null;
        created_at: number;
      };
    };
  };

  /** An app's keys */
  "GET /api/apps/{id}/keys": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        user_id: string;
        app_id: string;
        name: string;
        prefix: string;
        created_at: number;
        revoked_at: number | null;
        last_used_at: number | null;
        /** P this key may spend in total; null = no limit */
        creditLimit: number | null;
        /** epoch ms */
        expiresAt: number | null;
        models: string[] | null;
        /** Client IPs or CIDR ranges allowed */
        ips: string[] | null;
        /** Browser origins allowed (for keys used from a web page) */
        origins: string[] | null;
        rpm: number | null;
        tpm: number | null;
        /** P charged through this key */
        spent: number;
      }[];
    };
  };

  /** Create a key (shown once) */
  "POST /api/apps/{id}/keys": {
    params: {
      id: string;
    };
    query: never;
    body: {
      name?: string;
    };
    response: {
      /** Shown once; store it now. */
      key: string;
      record: {
        id: string;
        user_id: string;
        app_id: string;
        name: string;
        prefix: string;
        created_at: number;
        revoked_at: number | null;
        last_used_at: number | null;
        /** P this key may spend in total; null = no limit */
        creditLimit: number | null;
        /** epoch ms */
        expiresAt: number | null;
        models: string[] | null;
        /** Client IPs or CIDR ranges allowed */
        ips: string[] | null;
        /** Browser origins allowed (for keys used from a web page) */
        origins: string[] | null;
        rpm: number | null;
        tpm: number | null;
        /** P charged through this key */
        spent: number;
      };
    };
  };

  /** Log in with email and password; with two-factor on, the answer is a challenge for POST /api/auth/login/two-factor instead of a session */
  "POST /api/auth/login": {
    params: never;
    query: never;
    body: {
      email: string;
      password: string;
    };
    response: {
      user?: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
      };
      /** The password was right and the account has two-factor sign-in on: no session yet */
      twoFactor?: {
        /** Send it with a code to POST /api/auth/login/two-factor */
        challenge: string;
        expiresAt: number;
      };
    };
  };

  /** Second log-in step: the challenge from POST /api/auth/login with a code from the authenticator app, or a recovery code */
  "POST /api/auth/login/two-factor": {
    params: never;
    query: never;
    body: {
      challenge: string;
      /** The 6-digit code your authenticator app shows now */
      code?: string;
      /** One of the recovery codes (each works once) */
      recoveryCode?: string;
    };
    response: {
      user: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
      };
    };
  };

  /** Log out */
  "POST /api/auth/logout": {
    params: never;
    query: never;
    body: never;
    response: {
      ok: boolean;
    };
  };

  /** The logged-in user */
  "GET /api/auth/me": {
    params: never;
    query: never;
    body: never;
    response: {
      user: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
      };
      /** This account must turn two-factor sign-in on before anything else (the console leads there) */
      twoFactorRequired: boolean;
      /** The welcome step (profile, services, first App) is still to do or skip (GET /api/onboarding) */
      onboarding: boolean;
    };
  };

  /** Change my password (signs out my other sessions; `revokeKeys` also revokes all my API keys) */
  "POST /api/auth/password": {
    params: never;
    query: never;
    body: {
      currentPassword: string;
      newPassword: string;
      /** Also revoke every API key of the account (when a key may have leaked with the password) */
      revokeKeys?: boolean;
    };
    response: {
      ok: boolean;
      revokedKeys: number;
    };
  };

  /** Mail a password reset link to this address (the answer is the same whether it has an account or not) */
  "POST /api/auth/password-reset": {
    params: never;
    query: never;
    body: {
      email: string;
      /** Language the mail leads with (default: from Accept-Language); it carries both */
      locale?: "zh-CN" | "en";
    };
    response: {
      ok: boolean;
    };
  };

  /** Set a new password with the token of the mailed reset link; ends every session and logs this browser in */
  "POST /api/auth/password-reset/confirm": {
    params: never;
    query: never;
    body: {
      token: string;
      newPassword: string;
      /** Also revoke every API key of the account */
      revokeKeys?: boolean;
    };
    response: {
      user: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
      };
      revokedKeys: number;
    };
  };

  /** Create an account (no approval step) and log in; with mail on, the trial credit waits for the emailed confirmation link */
  "POST /api/auth/signup": {
    params: never;
    query: never;
    body: {
      email: string;
      password: string;
      displayName?: string;
      /** Language the confirmation mail leads with (default: from Accept-Language) */
      locale?: "zh-CN" | "en";
      /** The code of an invitation link (`/signup?ref=CODE`): the inviter and this account are rewarded when it first pays */
      referralCode?: string;
    };
    response: {
      user: {
        id: string;
        email: string;
        display_name: string | null;
        role: "user" | "admin";
        group_name: string;
        status: "active" | "disabled";
        created_at: number;
        updated_at: number;
        /** When the address was confirmed by a mailed link; null when never */
        email_verified_at?: number | null;
        /** 1 while the account waits for its address to be confirmed (mail on): the trial credit comes then */
        email_pending?: number;
        /** When two-factor sign-in was turned on; null while it is off */
        two_factor_at?: number | null;
      };
    };
  };

  /** Whether two-factor sign-in is on for my account, and how many recovery codes are left */
  "GET /api/auth/two-factor": {
    params: never;
    query: never;
    body: never;
    response: {
      enabled: boolean;
      enabledAt: number | null;
      /** A secret was set up and waits for its first code */
      pending: boolean;
      recoveryCodesLeft: number;
      /** This account must turn two-factor on before it can do anything else (an administrator, while the server requires it) */
      required: boolean;
    };
  };

  /** Turn two-factor on with the first code from the app; answers the ten recovery codes, shown once */
  "POST /api/auth/two-factor/confirm": {
    params: never;
    query: never;
    body: {
      /** The 6-digit code your authenticator app shows now */
      code: string;
    };
    response: {
      /** Shown this once: keep them somewhere safe */
      recoveryCodes: string[];
    };
  };

  /** Turn two-factor off (needs the password and a code or a recovery code) */
  "POST /api/auth/two-factor/disable": {
    params: never;
    query: never;
    body: {
      password: string;
      /** The 6-digit code your authenticator app shows now */
      code?: string;
      /** One of the recovery codes (each works once) */
      recoveryCode?: string;
    };
    response: {
      ok: boolean;
    };
  };

  /** Ten new recovery codes (the old ones stop working); needs the password and a code */
  "POST /api/auth/two-factor/recovery-codes": {
    params: never;
    query: never;
    body: {
      password: string;
      /** The 6-digit code your authenticator app shows now */
      code?: string;
      /** One of the recovery codes (each works once) */
      recoveryCode?: string;
    };
    response: {
      /** Shown this once: keep them somewhere safe */
      recoveryCodes: string[];
    };
  };

  /** Start turning two-factor on: a new secret for the authenticator app (as an otpauth:// URI for the QR code, and as text); confirm it with a first code */
  "POST /api/auth/two-factor/setup": {
    params: never;
    query: never;
    body: {
      password: string;
    };
    response: {
      /** Base32, for typing into the app by hand */
      secret: string;
      /** otpauth://totp/… for the QR code */
      uri: string;
    };
  };

  /** Confirm an email address with the token of the mailed link (opens an account that waited: trial credit) */
  "POST /api/auth/verify-email": {
    params: never;
    query: never;
    body: {
      token: string;
    };
    response: {
      ok: boolean;
      /** This confirmation opened an account that waited for it (its trial credit was granted now) */
      opened: boolean;
    };
  };

  /** Mail me a new confirmation link */
  "POST /api/auth/verify-email/resend": {
    params: never;
    query: never;
    body: {
      /** Language the mail leads with (default: from Accept-Language); it carries both */
      locale?: "zh-CN" | "en";
    };
    response: {
      ok: boolean;
    };
  };

  /** My balance, group and notices */
  "GET /api/billing/account": {
    params: never;
    query: never;
    body: never;
    response: {
      balance: number;
      group: string;
      multiplier: number;
      lowBalanceThreshold: number | null;
      notices: {
        id: string;
        kind: string;
        message: string;
        created_at: number;
      }[];
    };
  };

  /** My ledger, newest first */
  "GET /api/billing/ledger": {
    params: never;
    query: {
      limit?: number;
      offset?: number;
    };
    body: never;
    response: {
      items: {
        id: string;
        created_at: number;
        kind: "trial" | "topup" | "redeem" | "charge" | "refund" | "adjust" | "referral";
        /** signed P */
        amount: number;
        balance_after: number;
        reason: string | null;
        request_id: string | null;
      }[];
      total: number;
    };
  };

  /** Set (or clear with null) my low-balance reminder */
  "PUT /api/billing/low-balance": {
    params: never;
    query: never;
    body: {
      threshold: number | null;
    };
    response: {
      ok: boolean;
    };
  };

  /** Redeem a code (each works once) — Answers the code's value and the balance after it. Send an `Idempotency-Key` header to make a retry safe: a repeat answers as the first time and moves nothing twice. */
  "POST /api/billing/redeem": {
    params: never;
    query: never;
    body: {
      code: string;
    };
    response: {
      amount: number;
      balance: number;
    };
  };

  /** My usage per day and per model */
  "GET /api/billing/usage": {
    params: never;
    query: {
      days?: number;
    };
    body: never;
    response: {
      days: {
        date: string;
        requests: number;
        errors: number;
        cost: number;
        prompt_tokens: number;
        completion_tokens: number;
      }[];
      models: {
        model: string;
        requests: number;
        cost: number;
      }[];
    };
  };

  /** Public settings the console needs */
  "GET /api/config": {
    params: never;
    query: never;
    body: never;
    response: unknown;
  };

  /** Liveness */
  "GET /api/health": {
    params: never;
    query: never;
    body: never;
    response: unknown;
  };

  /** All my keys */
  "GET /api/keys": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        user_id: string;
        app_id: string;
        name: string;
        prefix: string;
        created_at: number;
        revoked_at: number | null;
        last_used_at: number | null;
        /** P this key may spend in total; null = no limit */
        creditLimit: number | null;
        /** epoch ms */
        expiresAt: number | null;
        models: string[] | null;
        /** Client IPs or CIDR ranges allowed */
        ips: string[] | null;
        /** Browser origins allowed (for keys used from a web page) */
        origins: string[] | null;
        rpm: number | null;
        tpm: number | null;
        /** P charged through this key */
        spent: number;
      }[];
    };
  };

  /** One key */
  "GET /api/keys/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      key: {
        id: string;
        user_id: string;
        app_id: string;
        name: string;
        prefix: string;
        created_at: number;
        revoked_at: number | null;
        last_used_at: number | null;
        /** P this key may spend in total; null = no limit */
        creditLimit: number | null;
        /** epoch ms */
        expiresAt: number | null;
        models: string[] | null;
        /** Client IPs or CIDR ranges allowed */
        ips: string[] | null;
        /** Browser origins allowed (for keys used from a web page) */
        origins: string[] | null;
        rpm: number | null;
        tpm: number | null;
        /** P charged through this key */
        spent: number;
      };
    };
  };

  /** Rename a key or set its limits (null clears one) */
  "PATCH /api/keys/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: {
      name?: string;
      creditLimit?: number | null;
      expiresAt?: number | null;
      models?: string[] | null;
      ips?: string[] | null;
      origins?: string[] | null;
      rpm?: number | null;
      tpm?: number | null;
    };
    response: {
      key: {
        id: string;
        user_id: string;
        app_id: string;
        name: string;
        prefix: string;
        created_at: number;
        revoked_at: number | null;
        last_used_at: number | null;
        /** P this key may spend in total; null = no limit */
        creditLimit: number | null;
        /** epoch ms */
        expiresAt: number | null;
        models: string[] | null;
        /** Client IPs or CIDR ranges allowed */
        ips: string[] | null;
        /** Browser origins allowed (for keys used from a web page) */
        origins: string[] | null;
        rpm: number | null;
        tpm: number | null;
        /** P charged through this key */
        spent: number;
      };
    };
  };

  /** Revoke a key (effective at once) */
  "POST /api/keys/{id}/revoke": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      key: {
        id: string;
        user_id: string;
        app_id: string;
        name: string;
        prefix: string;
        created_at: number;
        revoked_at: number | null;
        last_used_at: number | null;
        /** P this key may spend in total; null = no limit */
        creditLimit: number | null;
        /** epoch ms */
        expiresAt: number | null;
        models: string[] | null;
        /** Client IPs or CIDR ranges allowed */
        ips: string[] | null;
        /** Browser origins allowed (for keys used from a web page) */
        origins: string[] | null;
        rpm: number | null;
        tpm: number | null;
        /** P charged through this key */
        spent: number;
      };
    };
  };

  /** My request log — With an API key: the calls made with that key. */
  "GET /api/logs": {
    params: never;
    query: {
      limit?: number;
      offset?: number;
      model?: string;
      appId?: string;
      keyId?: string;
      /** The calls the caller named with this X-Client-Request-Id (or X-Request-Id) */
      clientRequestId?: string;
      status?: "ok" | "error";
      /** epoch ms */
      from?: number;
      /** epoch ms */
      to?: number;
      /** admins only */
      userId?: string;
      /** admins only: the calls of the account with this email (exact, any case) */
      userEmail?: string;
    };
    body: never;
    response: {
      items: {
        id: string;
        created_at: number;
        user_id: string;
        app_id: string | null;
        key_id: string | null;
        key_prefix: string | null;
        /** The caller's own id of the call (its X-Client-Request-Id or X-Request-Id header); null when it sent none */
        client_request_id: string | null;
        endpoint: string;
        dialect: string;
        model_requested: string | null;
        model_sent: string | null;
        channel_id: string | null;
        stream: number;
        status: number;
        error_code: string | null;
        error_message: string | null;
        latency_ms: number;
        ttft_ms: number | null;
        prompt_tokens: number;
        completion_tokens: number;
        cached_tokens: number;
        /** The part of completion_tokens spent reasoning */
        reasoning_tokens: number;
        /** Images produced */
        images: number;
        /** Characters turned into speech */
        characters: number;
        /** Seconds of audio transcribed or translated */
        seconds: number;
        /** Rerank search units */
        searches: number;
        attempts: number;
        /** P charged for the call */
        cost: number;
      }[];
      total: number;
    };
  };

  /** One of my calls' logged content (when an admin turned content logging on for my group or App) */
  "GET /api/logs/{id}/content": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      requestId: string;
      userId: string;
      appId: string | null;
      createdAt: number;
      expiresAt: number;
      /** The request as the provider got it (redacted when redaction is on), JSON */
      request: string | null;
      /** The provider's answer (JSON, or a stream's events), before placeholders were restored */
      response: string | null;
    };
  };

  /** Models my account may use, with what they do and their prices — With an API key: the models that key may use. Prices are in P with the group's multiplier applied; `point` says what 1 P is worth. */
  "GET /api/models": {
    params: never;
    query: never;
    body: never;
    response: {
      items: {
        id: string;
        /** The provider kind of the first channel serving it */
        ownedBy: string;
        /** What the model does: the endpoint its first call should use */
        capability: "chat" | "completion" | "image" | "embedding" | "speech" | "transcription" | "rerank";
        /** null: the model has no price, so its calls are refused */
        price: {
          /** P per 1K input tokens */
          input: number;
          /** P per 1K cached input tokens */
          cachedInput: number;
          /** P per 1K output tokens */
          output: number;
          /** P per 1K reasoning tokens (billed as output tokens) */
          reasoning: number;
          perImage: number | null;
          perKChars: number | null;
          perSecond: number | null;
          perMinute: number | null;
          perKSearches: number | null;
        } | null;
        /** Image models: the sizes (WIDTHxHEIGHT) every channel serving it accepts; null: any size the provider takes, or not an image model */
        imageSizes: string[] | null;
      }[];
      point: {
        /** US$ per P (list prices are written at this rate) */
        usd: number;
        /** The account's group */
        group: string;
        /** The group's price multiplier, already applied to every price listed */
        multiplier: number;
        /** Online recharge rates, one per configured payment provider */
        rates: {
          provider: string;
          currency: string;
          /** P credited per whole unit of the currency */
          pointsPerUnit: number;
        }[];
      };
    };
  };

  /** My welcome step: whether it is still to do, and the services this server offers */
  "GET /api/onboarding": {
    params: never;
    query: never;
    body: never;
    response: {
      /** null: this account was never offered the step */
      state: "pending" | "done" | "skipped" | null;
      services: {
        /** openai, azure, claude, gemini, chatglm, deepseek, ernie, stable-diffusion, cohere, jina */
        id: string;
        /** The models channels of this service serve to my group on this server (empty: none here yet) */
        models: string[];
      }[];
    };
  };

  /** Submit my welcome step: saves the profile and creates my first App and its key (shown once) */
  "POST /api/onboarding": {
    params: never;
    query: never;
    body: {
      displayName?: string;
      organisation?: string;
      /** What I build */
      building?: string;
      /** Service ids I want (GET /api/onboarding lists them) */
      services: string[];
      appName?: string;
    };
    response: {
      app: {
        id: string;
        user_id: string;
        name: string;
        description: string | null;
        created_at: number;
      };
      key: {
        /** Shown once; store it now. */
        key: string;
        record: {
          id: string;
          user_id: string;
          app_id: string;
          name: string;
          prefix: string;
          created_at: number;
          revoked_at: number | null;
          last_used_at: number | null;
          /** P this key may spend in total; null = no limit */
          creditLimit: number | null;
          /** epoch ms */
          expiresAt: number | null;
          models: string[] | null;
          /** Client IPs or CIDR ranges allowed */
          ips: string[] | null;
          /** Browser origins allowed (for keys used from a web page) */
          origins: string[] | null;
          rpm: number | null;
          tpm: number | null;
          /** P charged through this key */
          spent: number;
        };
      };
      /** The models the key may use; null: all the account may use */
      models: string[] | null;
      /** Ticked services with no model on this server yet */
      unavailable: string[];
    };
  };

  /** Skip my welcome step (it is not offered again) */
  "POST /api/onboarding/skip": {
    params: never;
    query: never;
    body: never;
    response: {
      ok: boolean;
    };
  };

  /** A payment provider's callback (EPay notify, Stripe webhook) — Public: authenticated by the provider's signature (EPay MD5, Stripe-Signature HMAC within the tolerance). Answers as the provider expects (`success` for EPay, 2xx for Stripe) once handled, duplicates included. */
  "GET /api/payments/{provider}/notify": {
    params: {
      provider: string;
    };
    query: never;
    body: never;
    response: unknown;
  };

  /** A payment provider's callback (EPay notify, Stripe webhook) — Public: authenticated by the provider's signature (EPay MD5, Stripe-Signature HMAC within the tolerance). Answers as the provider expects (`success` for EPay, 2xx for Stripe) once handled, duplicates included. */
  "POST /api/payments/{provider}/notify": {
    params: {
      provider: string;
    };
    query: never;
    body: never;
    response: unknown;
  };

  /** Payment providers, their rates and the packs on offer */
  "GET /api/recharge/options": {
    params: never;
    query: never;
    body: never;
    response: {
      providers: {
        id: string;
        methods: string[];
        currency: string;
        /** P credited per whole currency unit paid */
        pointsPerUnit: number;
        minAmount: number;
        maxAmount: number;
      }[];
      packs: {
        id: string;
        name: string;
        /** P bought */
        points: number;
        /** P given on top */
        bonus: number;
        enabled: boolean;
        sort: number;
        /** Price per payment provider, a decimal in its currency */
        prices: Record<string, string>;
      }[];
      expiryMinutes: number;
    };
  };

  /** My recharge orders, newest first */
  "GET /api/recharge/orders": {
    params: never;
    query: {
      limit?: number;
      offset?: number;
    };
    body: never;
    response: {
      items: {
        id: string;
        userId: string;
        email?: string | null;
        provider: string;
        method: string;
        packId: string | null;
        /** What the payer pays, as a decimal in the currency (`7.30`) */
        amount: string;
        /** Lower-case ISO code */
        currency: string;
        /** P credited when paid, the bonus included */
        credit: number;
        /** P of the credit that are the pack bonus */
        bonus: number;
        /** `created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute) */
        status: "created" | "paid" | "credited" | "expired" | "refunded";
        payUrl: string | null;
        note: string | null;
        /** The note as lines of data, for a client that shows it in its own language */
        notes: {
          /** What the line says (`refunded_by`, `provider_refund`, `money_returned`, …); `text` for a note written before lines existed */
          code: string;
          /** Its values: money as `7.30 CNY`, credit as `400 P`, a provider id, words as written */
          params: Record<string, string>;
          /** The line in English */
          text: string;
        }[];
        /** P taken back by a refund */
        refunded: number;
        paid: string | null;
        moneyOwed: string | null;
        createdAt: number;
        expiresAt: number;
        paidAt: number | null;
        creditedAt: number | null;
        refundedAt: number | null;
      }[];
      total: number;
    };
  };

  /** Start a recharge: an amount or a pack, through a provider — Stores the order, then answers it with `payUrl`, where the payer's browser goes to pay. The credit lands once the provider's signed callback confirms the payment. */
  "POST /api/recharge/orders": {
    params: never;
    query: never;
    body: {
      provider: string;
      method?: string;
      /** What to pay in the provider's currency (`10`, `7.30`); or give packId */
      amount?: string | number;
      packId?: string;
    };
    response: {
      id: string;
      userId: string;
      email?: string | null;
      provider: string;
      method: string;
      packId: string | null;
      /** What the payer pays, as a decimal in the currency (`7.30`) */
      amount: string;
      /** Lower-case ISO code */
      currency: string;
      /** P credited when paid, the bonus included */
      credit: number;
      /** P of the credit that are the pack bonus */
      bonus: number;
      /** `created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute) */
      status: "created" | "paid" | "credited" | "expired" | "refunded";
      payUrl: string | null;
      note: string | null;
      /** The note as lines of data, for a client that shows it in its own language */
      notes: {
        /** What the line says (`refunded_by`, `provider_refund`, `money_returned`, …); `text` for a note written before lines existed */
        code: string;
        /** Its values: money as `7.30 CNY`, credit as `400 P`, a provider id, words as written */
        params: Record<string, string>;
        /** The line in English */
        text: string;
      }[];
      /** P taken back by a refund */
      refunded: number;
      paid: string | null;
      moneyOwed: string | null;
      createdAt: number;
      expiresAt: number;
      paidAt: number | null;
      creditedAt: number | null;
      refundedAt: number | null;
    };
  };

  /** One of my recharge orders */
  "GET /api/recharge/orders/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      id: string;
      userId: string;
      email?: string | null;
      provider: string;
      method: string;
      packId: string | null;
      /** What the payer pays, as a decimal in the currency (`7.30`) */
      amount: string;
      /** Lower-case ISO code */
      currency: string;
      /** P credited when paid, the bonus included */
      credit: number;
      /** P of the credit that are the pack bonus */
      bonus: number;
      /** `created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute) */
      status: "created" | "paid" | "credited" | "expired" | "refunded";
      payUrl: string | null;
      note: string | null;
      /** The note as lines of data, for a client that shows it in its own language */
      notes: {
        /** What the line says (`refunded_by`, `provider_refund`, `money_returned`, …); `text` for a note written before lines existed */
        code: string;
        /** Its values: money as `7.30 CNY`, credit as `400 P`, a provider id, words as written */
        params: Record<string, string>;
        /** The line in English */
        text: string;
      }[];
      /** P taken back by a refund */
      refunded: number;
      paid: string | null;
      moneyOwed: string | null;
      createdAt: number;
      expiresAt: number;
      paidAt: number | null;
      creditedAt: number | null;
      refundedAt: number | null;
    };
  };

  /** I have paid: ask the provider about my order now — Asks the order's payment provider about its payment, in case its callback was lost, and answers the order as it is afterwards (credited when the provider confirms the payment). 429 within 5 seconds of the last ask about the same order. */
  "POST /api/recharge/orders/{id}/check": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      id: string;
      userId: string;
      email?: string | null;
      provider: string;
      method: string;
      packId: string | null;
      /** What the payer pays, as a decimal in the currency (`7.30`) */
      amount: string;
      /** Lower-case ISO code */
      currency: string;
      /** P credited when paid, the bonus included */
      credit: number;
      /** P of the credit that are the pack bonus */
      bonus: number;
      /** `created`: waiting for payment; `credited`: paid and credited; `paid`: the provider confirmed a payment that does not match the order (amount, currency, method), held for an admin; `expired`: not paid in time (a late payment still credits); `refunded`: an admin took the credit back, or the provider gave the money back to the payer (a refund in its dashboard, a dispute) */
      status: "created" | "paid" | "credited" | "expired" | "refunded";
      payUrl: string | null;
      note: string | null;
      /** The note as lines of data, for a client that shows it in its own language */
      notes: {
        /** What the line says (`refunded_by`, `provider_refund`, `money_returned`, …); `text` for a note written before lines existed */
        code: string;
        /** Its values: money as `7.30 CNY`, credit as `400 P`, a provider id, words as written */
        params: Record<string, string>;
        /** The line in English */
        text: string;
      }[];
      /** P taken back by a refund */
      refunded: number;
      paid: string | null;
      moneyOwed: string | null;
      createdAt: number;
      expiresAt: number;
      paidAt: number | null;
      creditedAt: number | null;
      refundedAt: number | null;
    };
  };

  /** My invitation link, the rewards on offer, and what it earned */
  "GET /api/referral": {
    params: never;
    query: never;
    body: never;
    response: {
      code: string;
      /** The sign-up page with the code: share it */
      link: string;
      policy: {
        enabled: boolean;
        /** P credited to the inviter when an invited account first pays */
        inviterReward: number;
        /** P credited to the invited account on its first payment */
        inviteeReward: number;
        maxRewardsPerInviter: number | null;
      };
      /** Accounts opened through the link */
      invited: number;
      /** Of those, accounts that have paid a top-up order */
      paid: number;
      /** Of those, payments that earned the rewards */
      rewarded: number;
      /** P earned as the inviter */
      earned: number;
    };
  };

  /** My support tickets, most recently active first */
  "GET /api/support/tickets": {
    params: never;
    query: {
      limit?: number;
      offset?: number;
      /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
      status?: "open" | "answered" | "closed";
    };
    body: never;
    response: {
      items: {
        id: string;
        userId: string;
        email?: string | null;
        subject: string;
        /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
        status: "open" | "answered" | "closed";
        requestId: string | null;
        /** A reply of the other side came after this side last read the thread */
        unread: boolean;
        createdAt: number;
        updatedAt: number;
        closedAt: number | null;
      }[];
      total: number;
    };
  };

  /** Open a support ticket — With `requestId` (a call of my request log), the admin sees that call's endpoint, model, status and error. Admins are mailed when SMTP is configured. */
  "POST /api/support/tickets": {
    params: never;
    query: never;
    body: {
      subject: string;
      body: string;
      /** A request id of my request log (a failed call), shown to the admin with its status and error */
      requestId?: string;
    };
    response: {
      id: string;
      userId: string;
      email?: string | null;
      subject: string;
      /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
      status: "open" | "answered" | "closed";
      requestId: string | null;
      /** A reply of the other side came after this side last read the thread */
      unread: boolean;
      createdAt: number;
      updatedAt: number;
      closedAt: number | null;
    };
  };

  /** One of my tickets with its thread (marks the replies read) */
  "GET /api/support/tickets/{id}": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      ticket: {
        id: string;
        userId: string;
        email?: string | null;
        subject: string;
        /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
        status: "open" | "answered" | "closed";
        requestId: string | null;
        /** A reply of the other side came after this side last read the thread */
        unread: boolean;
        createdAt: number;
        updatedAt: number;
        closedAt: number | null;
      };
      messages: {
        id: string;
        author: "user" | "admin";
        body: string;
        createdAt: number;
      }[];
      request: {
        id: string;
        createdAt: number;
        endpoint: string;
        model: string | null;
        status: number;
        errorCode: string | null;
        errorMessage: string | null;
      } | null;
    };
  };

  /** Close my ticket */
  "POST /api/support/tickets/{id}/close": {
    params: {
      id: string;
    };
    query: never;
    body: never;
    response: {
      id: string;
      userId: string;
      email?: string | null;
      subject: string;
      /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
      status: "open" | "answered" | "closed";
      requestId: string | null;
      /** A reply of the other side came after this side last read the thread */
      unread: boolean;
      createdAt: number;
      updatedAt: number;
      closedAt: number | null;
    };
  };

  /** Reply to my ticket (reopens it when closed) */
  "POST /api/support/tickets/{id}/replies": {
    params: {
      id: string;
    };
    query: never;
    body: {
      body: string;
    };
    response: {
      id: string;
      userId: string;
      email?: string | null;
      subject: string;
      /** `open`: waits for an admin; `answered`: an admin replied, waits for the user; `closed` */
      status: "open" | "answered" | "closed";
      requestId: string | null;
      /** A reply of the other side came after this side last read the thread */
      unread: boolean;
      createdAt: number;
      updatedAt: number;
      closedAt: number | null;
    };
  };

  /** How many of my tickets have a reply I have not read */
  "GET /api/support/unread": {
    params: never;
    query: never;
    body: never;
    response: {
      /** Tickets with a reply not read yet */
      count: number;
    };
  };
}
