export {
  type Database,
  type DatabaseOptions,
  openDatabase,
  openPglite,
  openPostgres,
  type Param,
  type Queryable,
} from './database.ts'
export { DirectoryInUseError } from './lock.ts'
export { type Migration, migrate, openMigrated, type Schema } from './migrations.ts'
