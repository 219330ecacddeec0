import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { FxInputError, listFxRates, supplementCurrencyProblem, supplementFxRates } from '../../db/fx-rates-store';
import { isIsoDate } from '../../domain/fx';
import { adminRoute, json } from '../openapi';
import { AdminDeps, AdminKit, onlyFields, parseWith } from './kit';

/**
 * Admin API for supplementary FX rates: rates per EUR for currencies the ECB does not publish
 * (KWD, AED, SAR …), global because they convert every region's orders: writing them needs a
 * token for all regions, reading them any token.
 */

export function registerFxRateRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const currencyParam = (currency: string): string => {
    const problem = supplementCurrencyProblem(currency);
    if (problem) throw kit.fail(400, `currency: ${problem}`);
    return currency;
  };

  const fxInput = z.object({
    source: z
      .string({ error: 'name where the rates come from, e.g. "Central Bank of Kuwait"' })
      .trim()
      .min(1, 'name where the rates come from, e.g. "Central Bank of Kuwait"')
      .max(200),
    rates: z
      .array(
        z.object({
          date: z.string({ error: 'must be a date YYYY-MM-DD' }),
          perEur: z
            .union([z.string(), z.number()], { error: 'must be the units of the currency per 1 EUR, e.g. "0.3354"' })
            .transform(String),
        }),
        { error: 'must be a list of {"date":"YYYY-MM-DD","perEur":"0.3354"}' },
      )
      .min(1, 'send at least one rate')
      .max(20_000, 'send at most 20000 rates per request'),
  });

  scope.put<{ Params: { currency: string } }>(
    '/admin/fx-rates/:currency',
    {
      schema: adminRoute({
        summary: 'Add supplementary rates per EUR for a currency the ECB does not publish (token for all regions)',
        body: fxInput,
        response: {
          200: json(
            'what was accepted and stored; refused items by date, with the reason',
            z.object({
              currency: z.string(),
              source: z.string(),
              accepted: z.number().int(),
              stored: z.number().int(),
              rejected: z.array(z.looseObject({ date: z.unknown(), reason: z.string() })),
            }),
          ),
        },
      }),
    },
    async (request) => {
      kit.requireAllRegions(kit.authorise(request), 'supplementary FX rates convert the orders of every region');
      const currency = currencyParam(request.params.currency);
      const input = parseWith(kit, fxInput, onlyFields(kit, request.body, ['source', 'rates']));
      try {
        return await supplementFxRates(deps.globalSql, currency, input.rates, input.source);
      } catch (error) {
        if (error instanceof FxInputError) throw kit.fail(400, error.message);
        throw error;
      }
    },
  );

  const isoDate = z.string().refine(isIsoDate, 'must be a date YYYY-MM-DD').optional();
  const fxQuery = z.object({ from: isoDate, to: isoDate });

  // Readable with any token: rates are public reference data, hold nothing about a person, and a
  // region's operator needs them to explain that region's order amounts.
  scope.get<{ Params: { currency: string }; Querystring: Record<string, string> }>(
    '/admin/fx-rates/:currency',
    {
      schema: adminRoute({
        summary: 'The stored supplementary rates of a currency, with their source',
        querystring: fxQuery,
        response: {
          200: json(
            'the stored rates, oldest first',
            z.object({
              currency: z.string(),
              rates: z.array(
                z.object({ date: z.string(), perEur: z.string(), source: z.string(), fetchedAt: z.string() }),
              ),
            }),
          ),
        },
      }),
    },
    async (request) => {
      kit.authorise(request);
      const currency = currencyParam(request.params.currency);
      const range = parseWith(kit, fxQuery, onlyFields(kit, request.query, ['from', 'to']));
      return {
        currency,
        rates: await listFxRates(deps.globalSql, currency, {
          ...(range.from ? { from: range.from } : {}),
          ...(range.to ? { to: range.to } : {}),
        }),
      };
    },
  );
}
