import { Global, Module } from '@nestjs/common';
import { LeasesService } from './leases.service';
import { TransactionService } from './transaction.service';

@Global()
@Module({
  providers: [TransactionService, LeasesService],
  exports: [TransactionService, LeasesService],
})
export class DatabaseModule {}
