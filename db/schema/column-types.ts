import { customType } from 'drizzle-orm/pg-core';

/** Binary columns: blind indexes, sealed values, wrapped keys. */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
