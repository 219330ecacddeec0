import { describe, expect, it } from 'vitest';
import { SnsCertificates, type SnsHttp } from '../../web/channels/sns-certificates';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const url = (n: number) => `https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-${n}.pem`;

/** SNS's certificate host as the cache meets it: `down` addresses fail, the others serve a PEM. */
class Host implements SnsHttp {
  readonly asked: string[] = [];
  readonly down = new Set<string>();
  async get(address: string): Promise<string> {
    this.asked.push(address);
    if (this.down.has(address)) throw new Error('sns.eu-west-1.amazonaws.com answered 404');
    return PEM;
  }
}

function clock() {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
}

describe('SNS signing certificates', () => {
  it('fetches an address once for many messages arriving together, then serves it from the cache', async () => {
    const host = new Host();
    const certs = new SnsCertificates(host, clock().now);
    expect(await Promise.all([certs.get(url(1)), certs.get(url(1)), certs.get(url(1))])).toEqual([PEM, PEM, PEM]);
    expect(await certs.get(url(1))).toBe(PEM);
    expect(host.asked).toEqual([url(1)]);
  });

  it('remembers a failed address for a minute, then asks again', async () => {
    const host = new Host();
    const c = clock();
    const certs = new SnsCertificates(host, c.now);
    host.down.add(url(1));
    await expect(certs.get(url(1))).rejects.toThrow('answered 404');
    host.down.clear();
    c.t += 59_000;
    await expect(certs.get(url(1))).rejects.toThrow('answered 404');
    expect(host.asked).toEqual([url(1)]);
    c.t += 2_000;
    expect(await certs.get(url(1))).toBe(PEM);
    expect(host.asked).toEqual([url(1), url(1)]);
  });

  it('refuses a body that is not a certificate, and remembers that too', async () => {
    const certs = new SnsCertificates({ get: async () => '<html>hello</html>' }, clock().now);
    await expect(certs.get(url(1))).rejects.toThrow('not a PEM certificate');
    await expect(certs.get(url(1))).rejects.toThrow('not a PEM certificate');
  });

  it('bounds fetches of new addresses: a forger naming a new path in every message gets a few, then none', async () => {
    const host = new Host();
    for (let n = 0; n < 100; n++) host.down.add(url(n));
    const c = clock();
    const certs = new SnsCertificates(host, c.now);
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, (_, n) => certs.get(url(n))));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(host.asked).toHaveLength(8);
    expect(String((outcomes[99] as PromiseRejectedResult).reason)).toContain('too many new signing certificate');
    // A cached certificate is still served meanwhile, and one new address is allowed every 30 s.
    c.t += 30_000;
    expect(await certs.get(url(500))).toBe(PEM);
    expect(await certs.get(url(500))).toBe(PEM);
    await expect(certs.get(url(501))).rejects.toThrow('too many new signing certificate');
    expect(host.asked).toHaveLength(9);
    // After a quiet spell the full burst is back, no more.
    c.t += 3_600_000;
    for (let n = 600; n < 608; n++) expect(await certs.get(url(n))).toBe(PEM);
    await expect(certs.get(url(608))).rejects.toThrow('too many new signing certificate');
  });
});
