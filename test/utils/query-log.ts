import type { BeforeQueryEvent, DataSource, EntitySubscriberInterface } from 'typeorm';

/**
 * Every SQL statement the data source sends while `work` runs, in order: TypeORM calls the
 * beforeQuery hook of each registered subscriber before each statement, on every driver.
 */
export async function statementsDuring(
  dataSource: DataSource,
  work: () => Promise<unknown>,
): Promise<string[]> {
  const statements: string[] = [];
  const recorder: EntitySubscriberInterface = {
    beforeQuery: (event: BeforeQueryEvent) => {
      statements.push(event.query);
    },
  };
  dataSource.subscribers.push(recorder);
  try {
    await work();
  } finally {
    dataSource.subscribers.splice(dataSource.subscribers.indexOf(recorder), 1);
  }
  return statements;
}
