import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type ConsoleUser,
  createConsoleUser,
  DuplicateConsoleUser,
  getConsoleUser,
  listConsoleUsers,
  updateConsoleUser,
} from '../../db/console-users-store';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../db/console-passwords';
import { CONSOLE_ROLES, localeTag, type ScopeList, scopeList, timeZoneName } from '../../domain/console-access';
import { adminRoute, json } from '../openapi';
import { userView } from './access';
import { type AdminDeps, type AdminKit, type AdminPrincipal, parseWith } from './kit';

/**
 * Console users (issue 13): who may sign in, with which role and scope. For console users with
 * users.manage (./access.ts) or an admin token for all regions; a manager scoped to some brands or
 * regions grants only within them. Answers never carry a password hash.
 */

const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `password must have at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024);
const userInput = z
  .object({
    email: z.email('email must be an email address').max(320),
    displayName: z.string().trim().min(1).max(200).optional(),
    password: password.optional(),
    role: z.enum(CONSOLE_ROLES, { error: `role must be one of ${CONSOLE_ROLES.join(', ')}` }),
    brands: scopeList.default('*'),
    regions: scopeList.default('*'),
    locale: localeTag.default('en'),
    timeZone: timeZoneName.default('UTC'),
  })
  .strict();
const userChange = z
  .object({
    displayName: z.string().trim().min(1).max(200).optional(),
    password: password.optional(),
    role: z.enum(CONSOLE_ROLES, { error: `role must be one of ${CONSOLE_ROLES.join(', ')}` }).optional(),
    brands: scopeList.optional(),
    regions: scopeList.optional(),
    locale: localeTag.optional(),
    timeZone: timeZoneName.optional(),
    disabled: z.boolean().optional(),
  })
  .strict()
  .refine((c) => Object.keys(c).length > 0, { error: 'nothing to change' });

const consoleUserAnswer = z.looseObject({
  id: z.string(),
  email: z.string(),
  role: z.string(),
  disabled: z.boolean(),
  oidcLinked: z.boolean(),
});

const view = (user: ConsoleUser) => ({
  ...userView(user),
  disabled: user.disabled,
  oidcLinked: user.oidcSubject !== null,
  createdAt: user.createdAt.toISOString(),
});

const within = (granted: ScopeList, mine: ScopeList) =>
  mine === '*' || (granted !== '*' && granted.every((g) => mine.includes(g)));

export function registerConsoleUserRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const manager = (principal: AdminPrincipal) => {
    // Tokens: only one for all regions manages people (users reach every region their scope names).
    if (principal.kind === 'token')
      kit.requireAllRegions(principal, 'console users are workspace-wide (their scope can name any region)');
  };
  const requireGrantable = (principal: AdminPrincipal, brands?: ScopeList, regions?: ScopeList, role?: string) => {
    if (regions && !within(regions, principal.regions))
      throw kit.fail(403, 'you may grant only regions you cover yourself');
    if (brands && !within(brands, principal.brands))
      throw kit.fail(403, 'you may grant only brands you cover yourself');
    if (role === 'group_admin' && (principal.regions !== '*' || principal.brands !== '*'))
      throw kit.fail(403, 'only a manager of every brand and region may make a group admin');
  };

  scope.post(
    '/admin/console-users',
    {
      schema: adminRoute({
        summary: 'Add a console user (a password, or none for OIDC sign-in only)',
        body: userInput,
        response: { 201: json('the user (no password hash)', consoleUserAnswer) },
      }),
    },
    async (request, reply) => {
      const principal = kit.authorise(request);
      manager(principal);
      const input = parseWith(kit, userInput, request.body);
      requireGrantable(principal, input.brands, input.regions, input.role);
      try {
        const user = await createConsoleUser(deps.globalSql, {
          email: input.email,
          displayName: input.displayName ?? input.email.split('@')[0]!,
          passwordHash: input.password ? await hashPassword(input.password) : null,
          role: input.role,
          brands: input.brands,
          regions: input.regions,
          locale: input.locale,
          timeZone: input.timeZone,
        });
        return reply.code(201).send(view(user));
      } catch (error) {
        if (error instanceof DuplicateConsoleUser) throw kit.fail(409, `email: ${error.message}`);
        throw error;
      }
    },
  );

  scope.get(
    '/admin/console-users',
    {
      schema: adminRoute({
        summary: 'List the console users',
        response: { 200: z.object({ users: z.array(consoleUserAnswer) }) },
      }),
    },
    async (request) => {
      manager(kit.authorise(request));
      return { users: (await listConsoleUsers(deps.globalSql)).map(view) };
    },
  );

  scope.patch<{ Params: { id: string } }>(
    '/admin/console-users/:id',
    {
      schema: adminRoute({
        summary: "Change a console user's role, scope, password, preferences, or disable them (ends their sessions)",
        params: z.object({ id: z.uuid() }),
        body: userChange,
        response: { 200: json('the user', consoleUserAnswer) },
      }),
    },
    async (request) => {
      const principal = kit.authorise(request);
      manager(principal);
      const id = parseWith(kit, z.uuid('console user IDs are UUIDs'), request.params.id, 'id');
      const change = parseWith(kit, userChange, request.body);
      const existing = await getConsoleUser(deps.globalSql, id);
      if (!existing) throw kit.fail(404, `no console user ${id}: list them with GET /admin/console-users`);
      // Changing someone outside one's own scope would be granting it.
      requireGrantable(principal, existing.brands, existing.regions, existing.role);
      requireGrantable(principal, change.brands, change.regions, change.role);
      const { password: newPassword, ...rest } = change;
      const user = await updateConsoleUser(deps.globalSql, id, {
        ...rest,
        ...(newPassword ? { passwordHash: await hashPassword(newPassword) } : {}),
      });
      return view(user!);
    },
  );
}
