import { describe, expect, it } from 'vitest';
import { countSmsSegments } from '../../domain/sms-segments';

describe('countSmsSegments', () => {
  it('packs GSM-7 in 160 characters, then 153 per part', () => {
    expect(countSmsSegments('Hello')).toEqual({ encoding: 'GSM-7', segments: 1, units: 5 });
    expect(countSmsSegments('a'.repeat(160)).segments).toBe(1);
    expect(countSmsSegments('a'.repeat(161)).segments).toBe(2);
    expect(countSmsSegments('a'.repeat(306)).segments).toBe(2);
    expect(countSmsSegments('a'.repeat(307)).segments).toBe(3);
    expect(countSmsSegments('').segments).toBe(0);
  });

  it('counts extension characters (€, [, ]) as two septets and never splits them', () => {
    expect(countSmsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(countSmsSegments('€'.repeat(81)).segments).toBe(2);
    // 152 plain + one € (2 septets) does not fit 153: the € opens the second part.
    expect(countSmsSegments(`${'a'.repeat(152)}€${'a'.repeat(10)}`).segments).toBe(2);
    expect(countSmsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`).segments).toBe(3);
  });

  it('moves Thai, Chinese and Arabic text to UCS-2: 70, then 67 per part', () => {
    const thai = 'สวัสดีครับ'; // 10 UTF-16 units
    expect(countSmsSegments(thai).encoding).toBe('UCS-2');
    expect(countSmsSegments(thai.repeat(7))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(countSmsSegments(thai.repeat(8)).segments).toBe(2);
    const chinese = '您的订单已发货'; // 7 units
    expect(countSmsSegments(chinese.repeat(10)).segments).toBe(1);
    expect(countSmsSegments(chinese.repeat(20)).segments).toBe(3); // 140 units: 67 + 67 + 6
    const arabic = 'مرحبا بك'; // 8 units
    expect(countSmsSegments(arabic.repeat(9)).segments).toBe(2); // 72 units
    // One non-GSM character makes a Latin text cost UCS-2 rates: 100 letters + "é" is still GSM, "ł" is not.
    expect(countSmsSegments(`${'a'.repeat(100)}é`).segments).toBe(1);
    expect(countSmsSegments(`${'a'.repeat(100)}ł`)).toEqual({ encoding: 'UCS-2', segments: 2, units: 101 });
  });

  it('keeps a surrogate pair (emoji) in one part', () => {
    expect(countSmsSegments('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    // 66 units + an emoji (2 units) does not fit 67: the emoji opens the next part.
    expect(countSmsSegments(`${'ก'.repeat(66)}😀${'ก'.repeat(10)}`).segments).toBe(2);
    expect(countSmsSegments(`${'ก'.repeat(66)}😀${'ก'.repeat(66)}`).segments).toBe(3);
  });
});
