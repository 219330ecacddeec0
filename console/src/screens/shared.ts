import { api } from '../api';
import type { Locale } from '../../../domain/messages/i18n';

/** Shapes and lookups several screens share. */

export interface Tag {
  key: string;
  labels: Record<string, string>;
  owner: string;
  brandId: string | null;
  source: string;
  segmentId: string | null;
  promotedAt: string | null;
}
export interface Segment {
  id: string;
  name: string;
  owner: string;
  brandId: string | null;
  version: number;
  definition: Record<string, unknown>;
}
export interface Journey {
  id: string;
  name: string;
  owner: string;
  brandId: string;
  status: 'active' | 'paused';
  version: number;
  graph: Record<string, unknown>;
}

export const listTags = () => api<{ tags: Tag[] }>('GET', '/admin/tags').then((r) => r.tags);
export const listSegments = () => api<{ segments: Segment[] }>('GET', '/admin/segments').then((r) => r.segments);
export const listJourneys = () => api<{ journeys: Journey[] }>('GET', '/admin/journeys').then((r) => r.journeys);

/** A tag's label in the reader's language: exact locale, then its language, then English, then the key. */
export function tagLabel(tag: Tag, locale: Locale): string {
  const language = locale.split('-')[0]!;
  return (
    tag.labels[locale] ??
    Object.entries(tag.labels).find(([l]) => l.split('-')[0] === language)?.[1] ??
    tag.labels.en ??
    tag.key
  );
}

/** A journey runs one workflow per person, journey-<id>-<customer>-…: the Temporal UI lists them by this prefix. */
export const journeyWorkflowPrefix = (id: string) => `journey-${id}-`;
