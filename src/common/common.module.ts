import { Global, Module } from '@nestjs/common';
import { CsrfService } from './csrf/csrf.service';
import { LayoutLocalsService } from './views/layout-locals.service';

@Global()
@Module({
  providers: [CsrfService, LayoutLocalsService],
  exports: [CsrfService, LayoutLocalsService],
})
export class CommonModule {}
